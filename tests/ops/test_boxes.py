import numpy as np
import pytest

from pixelwise.ops.boxes import batched_nms, box_iou, nms, xywh_to_xyxy


def test_xywh_to_xyxy():
    assert xywh_to_xyxy(np.array([[10, 20, 4, 6]], np.float32)).tolist() == [[8, 17, 12, 23]]


def test_box_iou():
    a = np.array([[0, 0, 2, 2]], np.float32)
    b = np.array([[1, 1, 3, 3], [5, 5, 6, 6], [0, 0, 2, 2]], np.float32)
    assert box_iou(a, b)[0].tolist() == pytest.approx([1 / 7, 0.0, 1.0])


def test_nms_matches_the_greedy_definition():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [0, 0, 10, 9]], np.float32)
    scores = np.array([0.5, 0.9, 0.3, 0.8], np.float32)
    assert nms(boxes, scores, 0.7).tolist() == [1, 2]
    assert nms(boxes, scores, 0.95).tolist() == [1, 3, 0, 2]


def test_batched_nms_keeps_overlaps_of_other_classes_and_handles_empty():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    assert sorted(batched_nms(boxes, np.array([0.9, 0.8]), np.array([0, 1]), 0.5).tolist()) == [0, 1]
    assert batched_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0), 0.5).size == 0
