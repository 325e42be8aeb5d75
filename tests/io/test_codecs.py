"""Encoding written once: RGB in, the right bytes out (BGR only inside io.codecs)."""

import cv2
import numpy as np

from pixelwise.io.codecs import encode, encode_jpeg, encode_png, to_bgr


def _rgb() -> np.ndarray:
    img = np.zeros((16, 24, 3), np.uint8)
    img[:, :12] = (250, 0, 0)  # red on the left
    return img


def test_png_round_trips_rgb_rgba_and_grey():
    rgb = _rgb()
    back = cv2.imdecode(np.frombuffer(encode_png(rgb), np.uint8), cv2.IMREAD_UNCHANGED)
    assert (back[..., ::-1] == rgb).all()
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    back = cv2.imdecode(np.frombuffer(encode_png(rgba), np.uint8), cv2.IMREAD_UNCHANGED)
    assert (back[..., [2, 1, 0, 3]] == rgba).all()
    grey = np.arange(16 * 24, dtype=np.uint8).reshape(16, 24)
    assert (cv2.imdecode(np.frombuffer(encode(grey, ".png"), np.uint8), cv2.IMREAD_UNCHANGED) == grey).all()


def test_jpeg_keeps_red_red_and_quality_changes_the_size():
    data = encode_jpeg(_rgb(), 90)
    assert data[:2] == b"\xff\xd8"
    back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert back[8, 3, 0] > 200 and back[8, 3, 2] < 40
    noisy = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    assert len(encode_jpeg(noisy, 30)) < len(encode_jpeg(noisy, 95))


def test_to_bgr_is_contiguous_and_leaves_grey_alone():
    rgb = _rgb()
    assert to_bgr(rgb).flags.c_contiguous and (to_bgr(rgb)[..., 2] == rgb[..., 0]).all()
    grey = np.zeros((4, 4), np.uint8)
    assert to_bgr(grey).shape == (4, 4)
