import numpy as np
import pytest

from pixelwise.vis.overlay import blend, colourise, draw_legend


def test_blend_mixes_only_coloured_classes():
    img = np.full((4, 4, 3), 100, np.uint8)
    sem = np.zeros((4, 4), np.uint8)
    sem[0] = 255  # no colour for id 255
    out = blend(img, sem, ((200, 0, 0),), alpha=0.5)
    assert out[1, 1].tolist() == [150, 50, 50]
    assert (out[0] == 100).all()
    assert (img == 100).all()  # never drawn in place


def test_alpha_bounds():
    with pytest.raises(ValueError, match="alpha"):
        blend(np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2), np.uint8), ((1, 2, 3),), 1.5)


def test_colourise_and_legend():
    sem = np.array([[0, 1]], np.uint8)
    assert colourise(sem, ((1, 2, 3), (4, 5, 6))).tolist() == [[[1, 2, 3], [4, 5, 6]]]
    img = np.full((100, 200, 3), 200, np.uint8)
    out = draw_legend(img, ["road", "car"], [(128, 64, 128), (64, 0, 128)])
    assert out.shape == img.shape and (out != img).any() and (img == 200).all()
    assert draw_legend(img, [], []) is img
