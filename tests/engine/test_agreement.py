"""Per-class agreement of two runs of a model (INT8 vs FP32, one backend vs another)."""

import numpy as np
import pytest

from pixelwise.engine.agreement import compare_results, match_boxes
from pixelwise.ops.masks import CroppedMasks
from pixelwise.result import Instances, Result
from pixelwise.spec import ModelSpec

SEM = ModelSpec(adapter="semantic", input_hw=(8, 8), classes=("a", "b", "c"))
INST = ModelSpec(adapter="yolo_seg", input_hw=(64, 64), classes=("car", "person"))


def _sem(values):
    sem = np.asarray(values, np.uint8)
    return Result(image=np.zeros((*sem.shape, 3), np.uint8), semantic=sem, spec=SEM)


def test_semantic_report_counts_pixels_and_class_iou():
    ref = _sem([[0, 0, 1, 1], [0, 0, 1, 1]])
    other = _sem([[0, 0, 1, 2], [0, 0, 1, 1]])
    rep = compare_results([ref, ref], [other, ref], "semantic", SEM.classes)
    assert rep.images == 2 and rep.overall == pytest.approx(15 / 16)
    a, b, c = rep.classes
    assert (a.reference, a.other, a.iou) == (8, 8, 1.0)
    assert (b.reference, b.other) == (8, 7) and b.iou == pytest.approx(7 / 8)
    assert (c.reference, c.other, c.iou) == (0, 1, 0.0)
    assert "pixel agreement 93.75% over 2 image(s)" in rep.lines()[0]


def _inst(boxes, classes):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    masks = CroppedMasks.from_labels(np.zeros((100, 100), np.int32), boxes) if len(boxes) else CroppedMasks.empty(
        (100, 100))
    res = Result(image=np.zeros((100, 100, 3), np.uint8), semantic=np.full((100, 100), 255, np.uint8), spec=INST,
                 instances=Instances(boxes, np.asarray(classes, np.int32), np.ones(len(boxes), np.float32), masks))
    return res


def test_instance_report_pairs_detections_per_class():
    ref = _inst([[10, 10, 50, 50], [60, 60, 90, 90], [0, 0, 5, 5]], [0, 0, 1])
    other = _inst([[10, 10, 50, 50], [60, 60, 90, 96]], [0, 0])  # one box moved, the person lost
    rep = compare_results([ref], [other], "instance", INST.classes)
    car, person = rep.classes
    assert (car.reference, car.other, car.matched, car.exact) == (2, 2, 2, 1)
    assert car.iou == pytest.approx((1.0 + 30 * 30 / (30 * 36)) / 2)
    assert (person.reference, person.other, person.matched, person.iou) == (1, 0, 0, None)
    assert rep.overall == pytest.approx(1 / 3)


def test_match_boxes_is_one_to_one_and_class_aware():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 11]], np.float32)
    b = np.array([[0, 0, 10, 10]], np.float32)
    assert match_boxes(a, np.array([0, 0]), b, np.array([0])) == [(0, 0, 1.0)]
    assert match_boxes(a, np.array([1, 1]), b, np.array([0])) == []
