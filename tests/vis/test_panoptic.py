"""Panoptic overlay: stuff in class colours, each object its own colour, outline and tag."""

import numpy as np
import pytest

from pixelwise.result import Result
from pixelwise.spec import ModelSpec
from pixelwise.vis.panoptic import draw_panoptic, segment_colour

SPEC = ModelSpec(classes=("road", "car"), things=("car",), colours=((0, 0, 200), (200, 0, 0)))


def _result():
    sem = np.zeros((80, 120), np.uint8)
    sem[10:30, 10:40] = 1  # car 1
    sem[50:70, 70:110] = 1  # car 2
    return Result(image=np.full((80, 120, 3), 100, np.uint8), semantic=sem, spec=SPEC)


def test_stuff_in_class_colour_things_in_their_own_and_a_new_image():
    res = _result()
    before = res.image.copy()
    out = draw_panoptic(res, alpha=1.0, labels=False)
    assert out is not res.image and (res.image == before).all()
    assert tuple(out[75, 5]) == (0, 0, 200)  # road: its class colour
    _, info = res.panoptic()
    cars = [s["id"] for s in info if s["isthing"]]
    assert len(cars) == 2 and segment_colour(cars[0]) != segment_colour(cars[1])
    assert tuple(out[20, 25]) == segment_colour(cars[0]) and tuple(out[60, 90]) == segment_colour(cars[1])


def test_outline_and_label_are_drawn_and_alpha_is_checked():
    res = _result()
    plain = draw_panoptic(res, alpha=0.0, labels=False)
    assert (plain[40:48] == 100).all()  # alpha 0 leaves the photo (outlines only around the cars)
    assert (plain[10, 10:40] != 100).any()  # the outline of car 1
    tagged = draw_panoptic(res, alpha=0.0)
    assert (tagged != plain).any()  # "car #2" tags
    with pytest.raises(ValueError, match="alpha"):
        draw_panoptic(res, alpha=1.5)
