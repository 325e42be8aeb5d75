import numpy as np

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
