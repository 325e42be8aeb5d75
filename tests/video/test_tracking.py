import numpy as np
import pytest

from pixelwise.errors import OptionError
from pixelwise.video.tracking import IouTracker, bytetrack_available, make_tracker

needs_bytetrack = pytest.mark.skipif(not bytetrack_available(), reason="pixelwise[track] (supervision) not installed")


def _b(*rows):
    return np.array(rows, np.float32)


def test_ids_follow_moving_objects_and_classes():
    t = IouTracker(iou_threshold=0.3, max_age=1)
    a = t.update(_b([0, 0, 10, 10], [50, 50, 60, 60]), np.array([1, 2]))
    assert a.tolist() == [1, 2]
    b = t.update(_b([52, 51, 62, 61], [1, 0, 11, 10]), np.array([2, 1]))  # moved, order swapped
    assert b.tolist() == [2, 1]
    c = t.update(_b([1, 0, 11, 10]), np.array([2]))  # same place, other class: a new object
    assert c.tolist() == [3]


def test_tracks_end_after_max_age_and_new_objects_get_new_ids():
    t = IouTracker(max_age=1)
    t.update(_b([0, 0, 10, 10]), np.array([0]))
    t.update(np.zeros((0, 4), np.float32), np.zeros(0, int))
    assert t.update(_b([0, 0, 10, 10]), np.array([0])).tolist() == [1]  # back within max_age
    t.update(np.zeros((0, 4), np.float32), np.zeros(0, int))
    t.update(np.zeros((0, 4), np.float32), np.zeros(0, int))
    assert t.update(_b([0, 0, 10, 10]), np.array([0])).tolist() == [2]  # too late: new id


def test_stream_with_track_gives_stable_ids(rgb_model, tmp_path):
    from PIL import Image

    import pixelwise as pw
    from pixelwise.io.video import SequenceSource

    paths = []
    for k in range(5):
        img = np.zeros((40, 60, 3), np.uint8)
        img[10:30, 5 + 3 * k : 25 + 3 * k] = (230, 10, 10)  # a red square moving right
        Image.fromarray(img).save(tmp_path / f"{k}.png")
        paths.append(tmp_path / f"{k}.png")
    seg = pw.Segmenter(rgb_model, threads=1, min_area=20)
    ids = [r.instances.track_ids.tolist() for r in seg.stream(SequenceSource(paths), track=True)]
    assert ids == [[1]] * 5
    parallel = [r.instances.track_ids.tolist() for r in seg.stream(SequenceSource(paths), track=True, workers=3)]
    assert parallel == ids  # the tracker sees the frames in order whatever the workers
    res = next(iter(seg.stream(SequenceSource(paths), track=True)))
    assert res.to_dict()["instances"][0]["track_id"] == 1


def _walk(tracker, frames):
    """Feed (boxes, classes) per frame; the ids per frame."""
    return [tracker.update(np.array(b, np.float32).reshape(-1, 4), np.array(c, int), np.full(len(c), 0.9)).tolist()
            for b, c in frames]


def _box(x, y, s=40):
    return [x, y, x + s, y + s]


@pytest.mark.parametrize("kind", ["iou", pytest.param("bytetrack", marks=needs_bytetrack)])
def test_ids_survive_a_missed_frame(kind):
    frames = [([_box(10 + 4 * k, 20)], [0]) for k in range(6)]
    frames[3] = ([], [])  # the detector misses the object in frame 3
    ids = _walk(make_tracker(kind), frames)
    assert ids == [[1], [1], [1], [], [1], [1]]


@needs_bytetrack
def test_bytetrack_keeps_ids_of_crossing_objects_that_the_iou_matcher_swaps():
    """Two same-class objects cross; at the crossing one hides the other for 2 frames. ByteTrack's
    motion model carries both through; greedy IoU matching gives the hidden one the other's id."""
    frames = []
    for k in range(30):
        a, b = _box(20 + 8 * k, 100), _box(260 - 8 * k, 104)
        frames.append(([a] if 14 <= k <= 16 else [a, b], [0] if 14 <= k <= 16 else [0, 0]))
    ids = _walk(make_tracker("bytetrack"), frames)
    assert all(f == [1, 2] for k, f in enumerate(ids) if not 14 <= k <= 16)  # b is 2 before and after
    iou_ids = _walk(make_tracker("iou"), frames)
    assert iou_ids[-1] != [1, 2]  # the fallback loses b at the crossing (why ByteTrack is preferred)


@needs_bytetrack
def test_bytetrack_confirms_a_new_object_on_its_second_frame_and_keeps_classes_apart():
    t = make_tracker("bytetrack")
    assert _walk(t, [([_box(0, 0)], [1])]) == [[1]]  # the first frame's objects get ids at once
    got = _walk(t, [([_box(2, 0), _box(200, 200)], [1, 1]), ([_box(4, 0), _box(202, 200)], [1, 1])])
    assert got == [[1, 0], [1, 2]]  # 0 = no id yet
    assert _walk(t, [([_box(6, 0), _box(204, 200)], [2, 1])]) == [[3, 2]]  # another class: another object


def test_make_tracker_refuses_unknown_kinds():
    with pytest.raises(OptionError, match="expected one of auto, bytetrack, iou"):
        make_tracker("sort")
