"""Copy-paste augmentation (train/augment.py, train/dataset.py): pure numpy, no torch."""

import numpy as np
import pytest

from pixelwise.train.augment import (
    IMAGE_PAD,
    SOFT_PAD,
    AugmentConfig,
    augment_sample,
    paste_pixels,
    random_crop,
    rare_classes,
    saturate,
)
from pixelwise.train.dataset import SplitArrays, batches


def test_rare_classes_are_those_below_the_median_of_the_classes_present() -> None:
    assert rare_classes(np.array([100, 5, 50, 0, 3])) == (1, 4)  # median of 100, 5, 50, 3 is 27.5
    assert rare_classes(np.array([900, 100])) == (1,)  # a person dataset: the person
    assert rare_classes(np.array([7, 7])) == () and rare_classes(np.zeros(3)) == ()


def test_paste_copies_image_label_and_soft_map_where_the_source_has_the_classes() -> None:
    image, label = np.zeros((4, 5, 3), np.uint8), np.zeros((4, 5), np.uint8)
    soft = np.full((4, 5), 10, np.uint8)
    src_image, src_label = np.full((4, 5, 3), 200, np.uint8), np.full((4, 5), 2, np.uint8)
    src_label[1:3, 1:4] = 1
    src_soft = np.full((4, 5), 250, np.uint8)
    out_image, out_label, out_soft = paste_pixels((image, label, soft), (src_image, src_label, src_soft), (1,))
    where = src_label == 1
    assert (out_label[where] == 1).all() and (out_label[~where] == 0).all()
    assert (out_image[where] == 200).all() and (out_image[~where] == 0).all()
    assert (out_soft[where] == 250).all() and (out_soft[~where] == 10).all()
    assert (label == 0).all() and (image == 0).all()  # the inputs are not changed
    _, _, no_target = paste_pixels((image, label, soft), (src_image, src_label, None), (1,))
    assert (no_target[where] == SOFT_PAD).all()
    same = paste_pixels((image, label, soft), (src_image, src_label, src_soft), (5,))
    assert same[1] is label  # nothing of those classes in the source: the crop is kept


def test_augment_sample_pastes_the_sources_rare_pixels_before_the_colour_changes() -> None:
    image, label = np.full((40, 40, 3), 50, np.uint8), np.zeros((40, 40), np.uint8)
    src_image, src_label = np.full((40, 40, 3), 220, np.uint8), np.zeros((40, 40), np.uint8)
    src_label[:, 10:30] = 1
    cfg = AugmentConfig(crop_hw=(32, 32), scale_range=(1.0, 1.0), jitter=0.0, paste=1.0, paste_classes=(1,))
    crop, crop_label, _, clean = augment_sample(image, label, None, cfg, 255, np.random.default_rng(0),
                                                (src_image, src_label, None))
    assert 0 < (crop_label == 1).mean() < 1
    assert (clean[crop_label == 1] == 220).all() and (clean[crop_label == 0] == 50).all()
    again = augment_sample(image, label, None, cfg, 255, np.random.default_rng(0), (src_image, src_label, None))
    assert np.array_equal(again[1], crop_label)  # reproducible from the generator alone


def test_batches_paste_the_share_asked_for_and_are_unchanged_without_paste() -> None:
    # image 0: grey background only; image 1: a white object (class 1) on grey
    images = [np.full((32, 32, 3), 90, np.uint8) for _ in range(2)]
    labels = [np.zeros((32, 32), np.uint8) for _ in range(2)]
    images[1][8:24, 8:24] = 255
    labels[1][8:24, 8:24] = 1
    data = SplitArrays(images * 20, labels * 20, [f"{i}.png" for i in range(40)])
    plain = AugmentConfig(crop_hw=(32, 32), scale_range=(1.0, 1.0), jitter=0.0, hflip=False)
    pasting = AugmentConfig(crop_hw=(32, 32), scale_range=(1.0, 1.0), jitter=0.0, hflip=False, paste=1.0,
                            paste_classes=(1,))

    def crops(cfg: AugmentConfig) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = zip(*[(x, y) for x, y in batches(data, 8, cfg, 255, seed=3, epoch=0)])
        return np.concatenate(xs), np.concatenate(ys)

    x0, y0 = crops(plain)
    assert (y0.reshape(40, -1).any(1)).mean() == pytest.approx(0.5)  # only image 1's crops have the object
    x1, y1 = crops(pasting)
    with_object = y1.reshape(40, -1).any(1).mean()
    assert 0.6 < with_object < 1.0  # grey crops got the object from a random image half the time
    assert (x1[..., 0][y1 == 1] == 255).all() and (x1[..., 0][y1 == 0] == 90).all()  # pixels move with labels
    off = AugmentConfig(crop_hw=(32, 32), scale_range=(1.0, 1.0), jitter=0.0, hflip=False, paste=0.0,
                        paste_classes=(1,))
    assert np.array_equal(crops(off)[1], y0)  # paste 0 draws nothing: the batches of earlier runs


def test_paste_must_be_a_probability() -> None:
    with pytest.raises(ValueError, match="paste is a probability"):
        AugmentConfig(paste=1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_saturate_gives_the_same_numbers_as_the_broadcast_formula(dtype: type) -> None:
    img = np.random.default_rng(3).uniform(-20, 300, size=(37, 53, 3)).astype(dtype)
    for s in (0.6, 1.0, 1.37):
        grey = img.mean(axis=2, keepdims=True)
        expected = (img - grey) * s + grey
        out = saturate(img, s)
        assert out.dtype == expected.dtype
        np.testing.assert_array_equal(out, expected)
    assert not np.array_equal(saturate(img, 1.37), img)


def test_a_crop_larger_than_the_image_is_padded_with_image_pad_and_the_ignore_id() -> None:
    image, label = np.full((10, 12, 3), 200, np.uint8), np.ones((10, 12), np.uint8)
    crop, crop_label = random_crop(image, label, (16, 16), 255, np.random.default_rng(0))
    assert crop.shape == (16, 16, 3) and crop_label.shape == (16, 16)
    assert (crop[10:] == IMAGE_PAD).all() and (crop[:, 12:] == IMAGE_PAD).all() and (crop[:10, :12] == 200).all()
    assert (crop_label[10:] == 255).all() and (crop_label[:10, :12] == 1).all()
