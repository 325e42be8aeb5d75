import cv2
import numpy as np
import pytest

from pixelwise.ops import semantic
from pixelwise.ops.letterbox import resize_to_input


def _torch_reference(logits, hw):
    torch = pytest.importorskip("torch")
    t = torch.nn.functional.interpolate(torch.from_numpy(logits)[None], size=hw, mode="bilinear",
                                        align_corners=False)
    return t[0].argmax(0).numpy()


@pytest.mark.parametrize("hw", [(360, 480), (37, 53), (90, 120)])
def test_upsample_argmax_matches_torch_bilinear(hw):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((11, 90, 120)).astype(np.float32)
    ours = semantic.upsample_argmax(logits, hw)
    assert ours.dtype == np.uint8 and ours.shape == hw
    assert (ours == _torch_reference(logits, hw)).mean() > 0.999


def test_strips_give_the_same_answer(monkeypatch):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((5, 20, 30)).astype(np.float32)
    whole = semantic.upsample_argmax(logits, (200, 300))
    monkeypatch.setattr(semantic, "STRIP_ELEMENTS", 300 * 7)
    assert (semantic.upsample_argmax(logits, (200, 300)) == whole).all()


@pytest.mark.parametrize("strip", [None, 640 * 7])
def test_two_classes_take_the_sign_of_one_upsampled_difference(monkeypatch, strip):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((2, 80, 80)).astype(np.float32) * 4
    logits[:, :8, :8] = 1.5  # an exact tie: class 0, as np.argmax gives
    if strip:
        monkeypatch.setattr(semantic, "STRIP_ELEMENTS", strip)
    ids = semantic.upsample_argmax(logits, (480, 640))
    planes = [cv2.resize(p, (640, 480), interpolation=cv2.INTER_LINEAR) for p in logits]
    assert ids.dtype == np.uint8 and ids.shape == (480, 640)
    assert (ids == np.argmax(planes, axis=0)).mean() > 0.9999 and (ids[:40, :40] == 0).all()
    assert (ids == _torch_reference(logits, (480, 640))).mean() > 0.999


def test_argmax_ties_go_to_lower_id_like_numpy():
    chw = np.zeros((4, 2, 2), np.float32)
    chw[2, 0, 0] = chw[3, 0, 0] = 1.0
    assert (semantic.argmax_chw(chw) == chw.argmax(axis=0)).all()


def test_many_classes_use_int32():
    logits = np.zeros((300, 4, 4), np.float32)
    logits[299] = 1
    ids = semantic.upsample_argmax(logits, (8, 8))
    assert ids.dtype == np.int32 and (ids == 299).all()


def test_more_than_512_channels_resize():
    hwc = np.random.default_rng(2).standard_normal((4, 4, 600)).astype(np.float32)
    assert semantic.resize_hwc(hwc, (8, 8)).shape == (8, 8, 600)


def test_softmax_max_is_a_probability():
    logits = np.array([[[0.0]], [[np.log(3.0)]]], np.float32)
    assert np.isclose(semantic.softmax_max(logits)[0, 0], 0.75)


def test_crop_to_content_removes_letterbox_padding():
    img = np.zeros((100, 200, 3), np.uint8)
    _, t = resize_to_input(img, (64, 64), "letterbox")
    maps = np.zeros((1, 16, 16), np.float32)
    cropped = semantic.crop_to_content(maps, t)
    assert cropped.shape == (1, 8, 16)


def test_ids_to_source_nearest():
    ids = np.array([[0, 1], [2, 3]], np.uint8)
    out = semantic.ids_to_source(ids, (4, 4))
    assert out[3, 3] == 3 and out[0, 0] == 0 and out.dtype == np.uint8
