"""The panoptic merge rule: score order, thresholds, class mapping, stuff and leftover thing pixels."""

import numpy as np
import pytest

from pixelwise.errors import OptionError
from pixelwise.ops.masks import CroppedMasks
from pixelwise.ops.panoptic import PanopticRule, claim, class_lut, merge

SEM_NAMES = ("road", "car", "pedestrian")  # road: stuff; car, pedestrian: things


def _box_masks(hw, boxes):
    masks = np.zeros((len(boxes), *hw), bool)
    for m, (x0, y0, x1, y1) in zip(masks, boxes):
        m[y0:y1, x0:x1] = True
    return CroppedMasks.from_dense(masks)


def _scene():
    """20x20 road with a 'car' blob at rows 2..8, cols 2..10 (48 px) in the semantic map."""
    sem = np.zeros((20, 20), np.uint8)
    sem[2:8, 2:10] = 1
    return sem


@pytest.mark.parametrize("mapping, expected", [
    (None, [1, -1]),  # car = car, person has no equal name
    ({"person": "pedestrian"}, [1, 2]),
    ({"person": "pedestrian", "car": "road"}, [0, 2]),
])
def test_class_lut_equal_names_and_explicit_pairs(mapping, expected):
    assert class_lut(("car", "person"), SEM_NAMES, mapping).tolist() == expected


@pytest.mark.parametrize("mapping, message", [
    ({"dog": "car"}, "'dog' is not a class of the things model"),
    ({"person": "walker"}, "'walker' is not a class of the semantic model"),
])
def test_class_lut_refuses_unknown_names(mapping, message):
    with pytest.raises(OptionError, match=message):
        class_lut(("car", "person"), SEM_NAMES, mapping)


def test_higher_score_wins_the_overlap_and_hidden_instances_drop():
    masks = _box_masks((20, 20), [(0, 0, 10, 10), (5, 0, 15, 10), (0, 0, 10, 10)])
    owner, kept = claim(masks, np.array([1, 2, 1]), np.array([0.6, 0.9, 0.7]), PanopticRule(min_area=1))
    # 1 (0.9) takes cols 5..15; 2 (0.7) keeps cols 0..5 = 50 of 100 px (>= overlap 0.5); 0 (0.6) sees nothing
    assert kept.tolist() == [1, 2]
    assert (owner[:10, 5:15] == 1).all() and (owner[:10, :5] == 2).all() and (owner[10:] == -1).all()
    _, kept = claim(masks, np.array([1, 2, 1]), np.array([0.6, 0.9, 0.7]), PanopticRule(min_area=1, overlap=0.6))
    assert kept.tolist() == [1]


def test_low_scores_unmatched_classes_and_tiny_parts_are_dropped():
    masks = _box_masks((20, 20), [(0, 0, 10, 10), (10, 10, 20, 20), (12, 0, 14, 2)])
    _, kept = claim(masks, np.array([1, -1, 1]), np.array([0.4, 0.9, 0.9]), PanopticRule(min_area=5))
    assert kept.tolist() == []  # below the score, unmatched class, 4 px < min_area


def test_merge_stuff_instances_and_leftover_components():
    sem = _scene()
    sem[14:18, 14:18] = 2  # a pedestrian (16 px) only the semantic model sees
    masks = _box_masks((20, 20), [(2, 2, 6, 8)])  # the car instance covers half the car blob (24 px)
    seg, info = merge(sem, [0], masks, np.array([0]), np.array([0.9]), thing_ids=(1, 2),
                      lut=class_lut(("car",), SEM_NAMES), rule=PanopticRule(min_area=10, leftover="components"))
    assert seg.dtype == np.int32
    got = [(s["id"], s["category_id"], s["isthing"], s["area"]) for s in info]
    assert got == [(1, 0, False, 400 - 48 - 16), (2, 1, True, 24), (3, 1, True, 24), (4, 2, True, 16)]
    assert info[1]["bbox"] == [2.0, 2.0, 4.0, 6.0]
    assert (seg[2:8, 2:6] == 2).all() and (seg[2:8, 6:10] == 3).all() and (seg[14:18, 14:18] == 4).all()
    absorbed, info_abs = merge(sem, [0], masks, np.array([0]), np.array([0.9]), thing_ids=(1, 2),
                               lut=class_lut(("car",), SEM_NAMES), rule=PanopticRule(min_area=10))  # the default
    assert [(s["category_id"], s["area"]) for s in info_abs] == [(0, 336), (1, 48), (2, 16)]
    assert (absorbed[2:8, 2:10] == 2).all() and info_abs[1]["bbox"] == [2.0, 2.0, 8.0, 6.0]
    void, info_void = merge(sem, [0], masks, np.array([0]), np.array([0.9]), thing_ids=(1, 2),
                            lut=class_lut(("car",), SEM_NAMES), rule=PanopticRule(min_area=10, leftover="void"))
    assert [s["area"] for s in info_void] == [336, 24] and (void[2:8, 6:10] == 0).all()


def test_instances_win_over_stuff_and_ignore_pixels_are_void():
    sem = _scene()
    sem[:, 19] = 255  # ignore
    masks = _box_masks((20, 20), [(12, 12, 19, 19)])  # a pedestrian on the road the semantic model missed
    seg, info = merge(sem, [0], masks, np.array([1]), np.array([0.8]), thing_ids=(1, 2),
                      lut=np.array([-1, 2]), rule=PanopticRule(min_area=1))
    assert [(s["category_id"], s["isthing"]) for s in info] == [(0, False), (2, True), (1, True)]
    assert (seg[12:19, 12:19] == 2).all() and (seg[:, 19] == 0).all()


def test_absorb_gives_a_region_to_the_instance_of_its_class_it_touches_most():
    sem = np.zeros((20, 20), np.uint8)
    sem[2:8, 2:18] = 1  # one car region, 96 px, partly claimed by two car instances
    sem[12:16, 2:6] = 2  # a pedestrian region a car instance overlaps: not absorbed by it
    masks = _box_masks((20, 20), [(2, 6, 6, 8), (10, 2, 18, 8), (4, 12, 10, 18)])
    seg, info = merge(sem, [0], masks, np.array([1, 1, 1]), np.array([0.9, 0.8, 0.7]), thing_ids=(1, 2),
                      rule=PanopticRule(min_area=4))
    # the 40 unclaimed car px touch car 0 along 5 px (row 6 cols 2..5, row 7 col 5) and car 1 along
    # 6 px (col 10, rows 2..7): they join car 1; the pedestrian's free 8 px stay an object of their own
    assert [(s["category_id"], s["area"]) for s in info] == [(0, 400 - 96 - 16 - 28), (1, 8), (1, 88), (1, 36),
                                                              (2, 8)]
    assert (seg[2:6, 2:10] == 3).all() and (seg[12:16, 2:4] == 5).all()


def test_rule_validation_and_mask_size_check():
    with pytest.raises(OptionError, match="leftover"):
        PanopticRule(leftover="merge")
    with pytest.raises(OptionError, match="0..1"):
        PanopticRule(score=2.0)
    with pytest.raises(ValueError, match=r"expected masks of \(20, 20\)"):
        merge(_scene(), [0], CroppedMasks.empty((10, 10)), np.zeros(0), np.zeros(0))
