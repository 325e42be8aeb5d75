"""PQ / SQ / RQ against a case worked out by hand, void and crowd handling, ground truth from labels."""

import numpy as np
import pytest

from pixelwise.eval.panoptic import PanopticQuality, panoptic_from_labels

ROAD, SKY, CAR, PERSON = 0, 1, 2, 3  # road, sky: stuff; car, person: things
THINGS = (CAR, PERSON)


def _strip(spans, n=24):
    """A (1, n) segment-id map from {id: [(start, stop), ...]} (0 elsewhere = void)."""
    out = np.zeros((1, n), np.int32)
    for sid, ranges in spans.items():
        for a, b in ranges:
            out[0, a:b] = sid
    return out


def _info(cats, crowd=()):
    return [{"id": i, "category_id": c, "iscrowd": int(i in crowd)} for i, c in cats.items()]


def test_hand_worked_case():
    """A 1x24 strip. Ground truth (pixels): g1 road 0-7 (8 px), void 8-9, g2 car 10-13 (4),
    g3 car 14-15 (2), g4 sky 16-19 and 23 (5), void 20-22.
    Prediction: p1 road 0-8, p2 car 9-12, p3 car 13-15, p4 road 16-17, p5 sky 18-19, p6 car 20-23.

    Void pixels are taken out of each predicted segment before the IoU:
      p1-g1 road: inter 8, union 9 + 8 - 8 - 1 (void) = 8      -> IoU 1.0    TP
      p2-g2 car:  inter 3, union 4 + 4 - 3 - 1 (void) = 4      -> IoU 0.75   TP
      p3-g3 car:  inter 2, union 3 + 2 - 2 = 3                 -> IoU 0.667  TP (p3-g2: 1/6, no)
      p4 road lies on sky (another category)                   -> FP road
      p5-g4 sky:  inter 2, union 2 + 5 - 2 = 5                 -> IoU 0.4, not > 0.5: FP sky, FN sky
      p6 car: 3 of its 4 px are void (> half)                  -> ignored, not an FP
      person appears nowhere                                   -> left out of the averages
    Per category (PQ = sum IoU / (TP + FP/2 + FN/2), SQ = sum IoU / TP, RQ = TP / (TP + FP/2 + FN/2)):
      road: TP 1, FP 1, FN 0: PQ 1/1.5 = 66.667, SQ 100,    RQ 66.667
      car:  TP 2, FP 0, FN 0: PQ (0.75 + 2/3)/2 = 70.833, SQ 70.833, RQ 100
      sky:  TP 0, FP 1, FN 1: PQ 0, SQ 0, RQ 0
    things (car): PQ 70.833, SQ 70.833, RQ 100
    stuff (road, sky): PQ 33.333, SQ 50, RQ 33.333
    all: PQ (66.667 + 70.833 + 0)/3 = 45.833, SQ (100 + 70.833 + 0)/3 = 56.944, RQ (66.667 + 100 + 0)/3 = 55.556
    """
    gt = _strip({1: [(0, 8)], 2: [(10, 14)], 3: [(14, 16)], 4: [(16, 20), (23, 24)]})
    pred = _strip({1: [(0, 9)], 2: [(9, 13)], 3: [(13, 16)], 4: [(16, 18)], 5: [(18, 20)], 6: [(20, 24)]})
    pq = PanopticQuality(4, THINGS)
    pq.update(gt, _info({1: ROAD, 2: CAR, 3: CAR, 4: SKY}), pred,
              _info({1: ROAD, 2: CAR, 3: CAR, 4: ROAD, 5: SKY, 6: CAR}))
    assert (pq.tp.tolist(), pq.fp.tolist(), pq.fn.tolist()) == ([1, 0, 2, 0], [1, 1, 0, 0], [0, 1, 0, 0])
    got = {k: pq.scores(k) for k in ("all", "things", "stuff")}
    assert (got["things"].pq, got["things"].sq, got["things"].rq, got["things"].n) == pytest.approx(
        (70.8333, 70.8333, 100.0, 1), abs=1e-3)
    assert (got["stuff"].pq, got["stuff"].sq, got["stuff"].rq, got["stuff"].n) == pytest.approx(
        (33.3333, 50.0, 33.3333, 2), abs=1e-3)
    assert (got["all"].pq, got["all"].sq, got["all"].rq, got["all"].n) == pytest.approx(
        (45.8333, 56.9444, 55.5556, 3), abs=1e-3)
    doc = pq.to_dict(("road", "sky", "car", "person"))
    assert set(doc["per_class"]) == {"road", "sky", "car"} and doc["per_class"]["road"]["PQ"] == pytest.approx(66.667)


def test_perfect_prediction_scores_100_and_accumulates_over_images():
    gt = _strip({1: [(0, 10)], 2: [(10, 14)], 3: [(16, 24)]})
    info = _info({1: ROAD, 2: CAR, 3: SKY})
    pq = PanopticQuality(4, THINGS)
    pq.update(gt, info, gt, info)
    pq.update(gt, info, gt, info)
    assert pq.tp.tolist() == [2, 2, 2, 0]
    assert pq.scores("all").pq == pytest.approx(100.0) and pq.scores("things").n == 1


def test_crowd_regions_are_neither_missed_nor_false_positives():
    """g2 is a crowd of cars (8 px): never an FN; p2 (car, 6 of 8 px on the crowd) is not an FP;
    p3 (person) on the crowd counts as an FP, the crowd is of cars."""
    gt = _strip({1: [(0, 8)], 2: [(8, 16)]})
    pred = _strip({1: [(0, 8)], 2: [(8, 14), (16, 18)], 3: [(14, 16)]})
    pq = PanopticQuality(4, THINGS)
    pq.update(gt, _info({1: ROAD, 2: CAR}, crowd=(2,)), pred, _info({1: ROAD, 2: CAR, 3: PERSON}))
    assert pq.fn.tolist() == [0, 0, 0, 0] and pq.fp.tolist() == [0, 0, 0, 1] and pq.tp.tolist() == [1, 0, 0, 0]


def test_shape_mismatch_and_unknown_average_are_refused():
    pq = PanopticQuality(4, THINGS)
    with pytest.raises(ValueError, match="expected segment map"):
        pq.update(np.zeros((2, 2), np.int32), [], np.zeros((3, 3), np.int32), [])
    with pytest.raises(ValueError, match="things"):
        pq.scores("objects")
    assert pq.scores().n == 0


def test_ground_truth_from_labels_stuff_components_and_void():
    label = np.zeros((12, 12), np.uint8)  # road
    label[:3] = SKY
    label[5:9, 1:5] = CAR  # 16 px
    label[5:9, 7:11] = CAR  # 16 px, a second car
    label[11, 11] = CAR  # 1 px: below min_area -> void
    label[0, :] = 11  # ignore -> void
    seg, info = panoptic_from_labels(label, THINGS, 4, min_area=4)
    assert [(s["category_id"], s["isthing"], s["area"]) for s in info] == [
        (ROAD, False, 144 - 36 - 33), (SKY, False, 24), (CAR, True, 16), (CAR, True, 16)]
    assert seg[11, 11] == 0 and (seg[0] == 0).all()
