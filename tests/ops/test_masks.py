import numpy as np
import pytest

from pixelwise.ops import masks


def test_components_per_class_with_min_area():
    sem = np.zeros((20, 20), np.uint8)
    sem[1:5, 1:5] = 1  # 16 px
    sem[10:12, 10:12] = 1  # 4 px, filtered
    sem[15:19, 2:9] = 2  # 28 px
    boxes, ids, labels, areas = masks.components(sem, (1, 2), min_area=5)
    assert ids.tolist() == [1, 2]
    assert areas.tolist() == [16, 28]
    assert boxes.tolist() == [[1, 1, 5, 5], [2, 15, 9, 19]]
    assert (labels == 1).sum() == 16 and (labels == 2).sum() == 28 and labels[11, 11] == 0


def test_masks_to_boxes_handles_empty_masks():
    m = np.zeros((2, 5, 5), bool)
    m[0, 1:3, 2:4] = True
    assert masks.masks_to_boxes(m).tolist() == [[2, 1, 4, 3], [0, 0, 0, 0]]


def test_polygon_round_trip_iou():
    m = np.zeros((60, 80), bool)
    m[10:50, 20:70] = True
    m[25:35, 20:40] = False
    polys = masks.mask_to_polygons(m)
    back = masks.polygons_to_mask(polys, m.shape)
    iou = (m & back).sum() / (m | back).sum()
    assert iou >= 0.95


def test_rle_round_trip_is_exact():
    rng = np.random.default_rng(0)
    m = rng.random((3, 33, 47)) > 0.6
    rles = masks.encode_rle(m)
    assert all(isinstance(r["counts"], str) for r in rles) and rles[0]["size"] == [33, 47]
    assert (masks.decode_rle(rles) == m).all()
    assert masks.encode_rle(np.zeros((0, 4, 4), bool)) == []


def _random_masks(n=5, hw=(40, 50), seed=0):
    rng = np.random.default_rng(seed)
    dense = np.zeros((n, *hw), bool)
    for i in range(n):
        y0, x0 = rng.integers(0, hw[0] - 10), rng.integers(0, hw[1] - 10)
        dense[i, y0 : y0 + rng.integers(1, 10), x0 : x0 + rng.integers(1, 10)] = rng.random() > 0.0
    dense[-1] = False  # an empty mask too
    return dense


def test_cropped_masks_round_trip_subsets_and_areas():
    dense = _random_masks()
    cm = masks.CroppedMasks.from_dense(dense)
    assert (cm.dense() == dense).all() and cm.areas().tolist() == dense.sum((1, 2)).tolist()
    assert sum(p.size for p in cm.patches) < dense[0].size  # only the boxes are stored
    keep = np.array([True, False, True, False, True])
    assert (cm[keep].dense() == dense[keep]).all() and (cm[[3, 1]].dense() == dense[[3, 1]]).all()
    assert (cm.mask(2) == dense[2]).all() and len(cm[1:3]) == 2


def test_cropped_masks_paint_in_order_and_encode_like_dense():
    dense = np.zeros((2, 10, 10), bool)
    dense[0, 2:8, 2:8] = True
    dense[1, 4:6, 4:9] = True
    cm = masks.CroppedMasks.from_dense(dense)
    canvas = np.full((10, 10), 255, np.uint8)
    cm.paint(canvas, np.array([1, 2]), order=np.array([1, 0]))  # mask 0 painted last wins
    assert canvas[5, 5] == 1 and canvas[5, 8] == 2 and canvas[0, 0] == 255
    assert masks.encode_rle(cm) == masks.encode_rle(dense)


def test_cropped_masks_from_labels_and_bounds_check():
    sem = np.zeros((20, 20), np.uint8)
    sem[1:5, 1:5] = 1
    sem[15:19, 2:9] = 1
    boxes, _, labels, areas = masks.components(sem, (1,))
    cm = masks.CroppedMasks.from_labels(labels, boxes)
    assert cm.areas().tolist() == areas.tolist()
    assert (cm.dense() == (labels[None] == np.array([1, 2])[:, None, None])).all()
    polys = cm.polygons(1)
    assert polys[0][:, 0].min() == 2 and polys[0][:, 1].min() == 15
    with pytest.raises(ValueError, match="outside"):
        masks.CroppedMasks((10, 10), np.array([[5, 5]]), (np.ones((6, 2), bool),))
