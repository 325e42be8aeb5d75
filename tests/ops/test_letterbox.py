import numpy as np
import pytest

from pixelwise.ops.letterbox import normalise_to_blob, resize_to_input


def test_stretch_resizes_and_records_scales():
    img = np.zeros((100, 200, 3), np.uint8)
    canvas, t = resize_to_input(img, (50, 50), "stretch")
    assert canvas.shape == (50, 50, 3)
    assert t.scale_hw == (0.5, 0.25)
    assert t.pad_tl == (0, 0)


def test_same_size_is_not_copied():
    img = np.zeros((50, 60, 3), np.uint8)
    canvas, _ = resize_to_input(img, (50, 60), "stretch")
    assert canvas is img


@pytest.mark.parametrize("hw", [(480, 360), (360, 480), (333, 517), (1, 1), (641, 3)])
def test_letterbox_keeps_aspect_and_inverse_maps_boxes(hw):
    img = np.zeros((*hw, 3), np.uint8)
    canvas, t = resize_to_input(img, (320, 320), "letterbox")
    assert canvas.shape[:2] == (320, 320)
    ch, cw = t.content_hw
    assert t.pad_tl[0] + ch <= 320 and t.pad_tl[1] + cw <= 320
    box = np.array([[t.pad_tl[1], t.pad_tl[0], t.pad_tl[1] + cw, t.pad_tl[0] + ch]], np.float32)
    back = t.boxes_to_source(box)[0]
    assert np.allclose(back, [0, 0, hw[1], hw[0]], atol=max(1.0, 1 / t.scale_hw[0]))


def test_letterbox_pads_with_grey_and_matches_ultralytics_rounding():
    img = np.full((360, 480, 3), 7, np.uint8)
    canvas, t = resize_to_input(img, (320, 320), "letterbox")
    # r = 2/3 -> 240x320 content, 80 rows of padding split 40/40
    assert t.content_hw == (240, 320) and t.pad_tl == (40, 0)
    assert (canvas[:40] == 114).all() and (canvas[280:] == 114).all() and (canvas[40:280] == 7).all()
    black, _ = resize_to_input(img, (320, 320), "letterbox", pad_value=0)
    assert (black[:40] == 0).all() and (black[280:] == 0).all() and (black[40:280] == 7).all()


def test_unknown_mode_raises():
    with pytest.raises(ValueError, match="unknown resize mode"):
        resize_to_input(np.zeros((4, 4, 3), np.uint8), (4, 4), "crop")


def test_normalise_to_blob_layout_and_values():
    canvas = np.zeros((2, 3, 3), np.uint8)
    canvas[..., 0] = 255
    blob = normalise_to_blob(canvas, (0.5, 0.5, 0.5), (0.5, 0.25, 0.5))
    assert blob.shape == (1, 3, 2, 3) and blob.dtype == np.float32
    assert np.allclose(blob[0, 0], 1.0) and np.allclose(blob[0, 1], -2.0) and np.allclose(blob[0, 2], -1.0)


def test_normalise_to_blob_takes_a_strided_view_like_its_copy():
    image = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    view = image[5:30:2, 10:45]  # a tile or crop: not contiguous
    expected = ((view / 255.0 - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)).transpose(2, 0, 1)[None]
    blob = normalise_to_blob(view, (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert (blob == normalise_to_blob(view.copy(), (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))).all()
    assert np.abs(blob - expected).max() < 1e-5
    with pytest.raises(ValueError, match=r"expected an \(H, W, 3\) RGB image, got shape \(40, 50\)"):
        normalise_to_blob(image[..., 0], (0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
