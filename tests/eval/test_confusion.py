import numpy as np
import pytest

from pixelwise.eval.confusion import ConfusionMatrix


def test_metrics_from_counts():
    cm = ConfusionMatrix(3, ignore_index=255)
    truth = np.array([[0, 0, 1, 1], [2, 2, 255, 255]])
    pred = np.array([[0, 1, 1, 1], [2, 0, 0, 2]])
    cm.update(truth, pred)
    m = cm.metrics()
    # class 0: tp1 fp1 fn1 -> 1/3; class 1: tp2 fp1 fn0 -> 2/3; class 2: tp1 fp0 fn1 -> 1/2
    assert np.allclose(m.iou, [100 / 3, 200 / 3, 50])
    assert m.miou == pytest.approx(np.mean([100 / 3, 200 / 3, 50]))
    assert m.pixel_accuracy == pytest.approx(4 / 6 * 100)
    d = m.to_dict(["a", "b", "c"])
    assert set(d["iou"]) == {"a", "b", "c"}


def test_absent_classes_are_nan_and_excluded():
    cm = ConfusionMatrix(3)
    cm.update(np.zeros((2, 2), int), np.zeros((2, 2), int))
    m = cm.metrics()
    assert m.miou == 100.0 and np.isnan(m.iou[1])
    assert m.to_dict()["iou"]["1"] is None


def test_streaming_equals_one_shot_and_merge():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 4, (5, 10, 10)), rng.integers(0, 4, (5, 10, 10))
    a, b = ConfusionMatrix(4), ConfusionMatrix(4)
    for i in range(5):
        a.update(t[i], p[i])
    b.update(t, p)
    assert (a.counts == b.counts).all()
    c = ConfusionMatrix(4)
    c.merge(a)
    assert (c.counts == a.counts).all()
    with pytest.raises(ValueError, match="shapes differ"):
        a.update(t[0], p[0, :5])
