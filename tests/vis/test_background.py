"""Cut-outs, composites and background blur from a two-class (background, person) model."""

from __future__ import annotations

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.errors import InputError
from pixelwise.vis.background import AlphaSmoother, alpha_matte, guided_filter, parse_colour


def _result(model, image, **kw):
    return pw.Segmenter(model, threads=1, confidence=True, **kw)(image)


def test_cutout_alpha_matches_the_person_mask(person_model, person_photo) -> None:
    res = _result(person_model, person_photo)
    rgba = res.cutout()
    assert rgba.shape == (120, 160, 4) and rgba.dtype == np.uint8
    person = res.semantic == 1
    alpha = rgba[..., 3] >= 128
    assert (alpha == person).mean() > 0.99
    assert rgba[..., 3][40:90, 60:100].min() == 255 and rgba[..., 3][:20].max() == 0
    # no halo: where alpha is partial the colour is the person's green, not the red background
    soft = (rgba[..., 3] > 0) & (rgba[..., 3] < 255)
    if soft.any():
        assert rgba[..., 0][soft].mean() < 100 and rgba[..., 1][soft].mean() > 150


def test_composites_keep_person_pixels_exact(person_model, person_photo) -> None:
    res = _result(person_model, person_photo)
    sure = res.cutout()[..., 3] == 255
    assert sure.sum() > 2000
    replaced = res.composite(background=(0, 0, 255))
    assert np.array_equal(replaced[sure], person_photo[sure])
    assert (replaced[:20] == (0, 0, 255)).all()
    bg_image = np.full((50, 70, 3), 77, np.uint8)  # resized to fit
    assert np.array_equal(res.composite(background=bg_image)[sure], person_photo[sure])
    blurred = res.composite(blur=5.0)
    assert np.array_equal(blurred[sure], person_photo[sure])
    with pytest.raises(ValueError, match="either"):
        res.composite()


def test_no_person_gives_a_fully_transparent_cutout(person_model) -> None:
    red = np.zeros((40, 50, 3), np.uint8)
    red[:] = (200, 10, 10)
    rgba = _result(person_model, red).cutout()
    assert rgba[..., 3].max() == 0


def test_models_without_a_person_class_need_named_classes(rgb_model, colour_image) -> None:
    res = pw.Segmenter(rgb_model, threads=1)(colour_image)
    with pytest.raises(InputError, match="no person class"):
        res.cutout()
    assert (res.cutout(classes=["green"])[..., 3] > 0).any()
    with pytest.raises(InputError, match="unknown class"):
        res.cutout(classes=["cat"])


def test_guided_filter_keeps_constants_and_follows_edges() -> None:
    guide = np.zeros((30, 30), np.float32)
    guide[:, 15:] = 1.0
    flat = np.full((30, 30), 0.7, np.float32)
    assert np.allclose(guided_filter(guide, flat, 3), 0.7, atol=1e-4)
    noisy = (guide + np.random.default_rng(0).normal(0, 0.05, guide.shape)).astype(np.float32)
    out = guided_filter(guide, noisy, 3)
    assert out[:, :12].mean() < 0.05 and out[:, 18:].mean() > 0.95  # the edge stays sharp


def test_alpha_without_confidence_is_the_hard_mask(person_model, person_photo) -> None:
    res = pw.Segmenter(person_model, threads=1)(person_photo)
    alpha = alpha_matte(res, refine=False)
    assert np.array_equal(alpha > 0.5, res.semantic == 1)


@pytest.mark.parametrize(("text", "rgb"), [("#00ff00", (0, 255, 0)), ("1,2,3", (1, 2, 3)), ("white", (255, 255, 255))])
def test_parse_colour(text: str, rgb: tuple[int, int, int]) -> None:
    assert parse_colour(text) == rgb


@pytest.mark.parametrize("bad", ["#12", "1,2", "300,0,0", "reddish"])
def test_parse_colour_refuses_bad_values(bad: str) -> None:
    with pytest.raises(InputError, match="colour"):
        parse_colour(bad)


def test_alpha_smoother_averages_over_frames() -> None:
    smooth = AlphaSmoother(0.5)
    assert smooth(np.ones((2, 2), np.float32)).tolist() == [[1, 1], [1, 1]]
    assert smooth(np.zeros((2, 2), np.float32)).tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert smooth(np.zeros((3, 3), np.float32)).shape == (3, 3)  # a new size restarts
    with pytest.raises(InputError):
        AlphaSmoother(1.0)


def test_background_effect_refuses_bad_settings_and_models_without_a_person() -> None:
    from pixelwise.vis.background import BackgroundEffect

    for kwargs in ({}, {"blur": 5, "background": (0, 0, 0)}, {"blur": 0}, {"blur": "5"},
                   {"background": np.zeros((4, 4), np.uint8)}, {"blur": 5, "smooth": 1.0}):
        with pytest.raises(InputError):
            BackgroundEffect(**kwargs)
    effect = BackgroundEffect(blur=5)
    effect.check(("background", "person"))
    with pytest.raises(InputError, match="no person class"):
        effect.check(("red", "green", "blue"))


def test_background_effect_in_your_own_loop_matches_the_one_shot_composite(person_model, person_photo) -> None:
    from pixelwise.vis.background import BackgroundEffect

    res = _result(person_model, person_photo)
    effect = BackgroundEffect(background=(0, 0, 255), smooth=0.5)
    first = effect(res)
    assert np.array_equal(first, res.composite(background=(0, 0, 255)))  # first frame: nothing to smooth
    assert np.array_equal(effect(res, effect.prepare(res)), first)  # a still scene stays the same


def test_two_class_matte_without_a_person_is_fully_transparent() -> None:
    """A two-class model's background pixels with p(person) = 0.4 give no faint ghost when no pixel is a person."""
    from pixelwise.result import Result
    from pixelwise.spec import ModelSpec

    spec = ModelSpec(classes=("background", "person"), colours=((0, 0, 0), (255, 0, 255)))
    image = np.full((30, 40, 3), 90, np.uint8)
    res = Result(image, np.zeros((30, 40), np.uint8), spec, confidence=np.full((30, 40), 0.6, np.float32))
    assert alpha_matte(res).max() == 0 and res.cutout()[..., 3].max() == 0
    semantic = np.zeros((30, 40), np.uint8)
    semantic[10:20, 10:20] = 1  # one person: the soft edges come back
    res = Result(image, semantic, spec, confidence=np.full((30, 40), 0.6, np.float32))
    assert alpha_matte(res).max() > 0


@pytest.mark.parametrize("sigma", [2.0, 8.0, 15.0, 40.0])
def test_fast_blur_looks_like_the_full_gaussian(sigma) -> None:
    from pathlib import Path

    import cv2

    from pixelwise.vis.background import blurred

    image = cv2.imread(str(Path(pw.__file__).parent / "assets" / "leuvenA.jpg"))
    full = cv2.GaussianBlur(image, (0, 0), sigma).astype(int)
    fast = blurred(image, sigma)
    assert fast.shape == image.shape and fast.dtype == np.uint8
    assert np.abs(fast - full).mean() < 1.0 < np.abs(image.astype(int) - full).mean()
