import numpy as np

from pixelwise.video.tracking import IouTracker


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
