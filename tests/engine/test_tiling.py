import numpy as np
import pytest

import pixelwise as pw
from pixelwise.engine.tiling import tile_windows
from pixelwise.errors import InputError
from tests.builders import make_semantic_onnx


def test_windows_cover_the_length_with_overlap():
    assert tile_windows(100, 100, 10) == [0]
    assert tile_windows(250, 100, 25) == [0, 75, 150]
    w = tile_windows(1000, 360, 90)
    assert w[0] == 0 and w[-1] + 360 == 1000 and all(b - a <= 270 for a, b in zip(w, w[1:]))


def test_tiled_prediction_matches_full_resolution_on_a_big_image(rgb_model):
    rng = np.random.default_rng(0)
    img = np.zeros((700, 900, 3), np.uint8)
    for _ in range(40):  # coloured blocks, some small
        y, x, s = rng.integers(0, 650), rng.integers(0, 850), rng.integers(8, 50)
        img[y : y + s, x : x + s, rng.integers(0, 3)] = 240
    full = pw.Segmenter(rgb_model, imgsz=(700, 900), threads=1)(img).semantic
    tiled = pw.Segmenter(rgb_model, tile=(256, 320), threads=1)(img)
    shrunk = pw.Segmenter(rgb_model, threads=1)(img).semantic  # whole image squeezed to 64x96
    assert tiled.semantic.shape == (700, 900)
    assert (tiled.semantic == full).mean() > 0.99
    assert (shrunk == full).mean() < (tiled.semantic == full).mean()


def test_tiles_need_a_dynamic_semantic_model(tmp_path, colour_image):
    static = make_semantic_onnx(tmp_path / "s.onnx", static_hw=(32, 32), spec={"classes": ["r", "g", "b"],
                                                                              "input_hw": [32, 32]})
    with pytest.raises(InputError, match="dynamic input"):
        pw.Segmenter(static, tile=(16, 16))(colour_image)
