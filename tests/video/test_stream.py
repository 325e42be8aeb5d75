"""Segmenter.stream on real encoded video, sequences, and a camera that goes away."""

import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from pixelwise.errors import InputError
from pixelwise.io.video import CaptureSource, VideoSink, open_source
from tests.video.conftest import read_video, write_video


@pytest.fixture
def seg(rgb_model):
    return pw.Segmenter(rgb_model, threads=1)


@pytest.mark.parametrize(("dual_buffer", "workers"), [(True, 1), (True, 3), (False, 1)])
def test_every_frame_of_a_file_in_order(seg, video, dual_buffer, workers):
    results = list(seg.stream(video, dual_buffer=dual_buffer, workers=workers))
    assert [r.frame_index for r in results] == list(range(30))
    assert all(r.semantic.shape == (48, 64) for r in results)
    # even frames are red (class 0), odd frames blue (class 2): order and content survive
    assert [int(np.bincount(r.semantic.ravel()).argmax()) for r in results] == [0, 2] * 15
    assert results[10].timestamp == pytest.approx(10 / 25, abs=0.05)


def test_smoothing_needs_one_worker(seg, video):
    with pytest.raises(InputError, match="workers=1"):
        seg.stream(video, smooth=0.5, workers=2)


def test_every_and_max_frames(seg, video):
    results = list(seg.stream(video, every=3, max_frames=4))
    assert [r.frame_index for r in results] == [0, 3, 6, 9]
    with pytest.raises(InputError, match="--every"):
        seg.stream(video, every=0)


def test_written_video_decodes_with_the_same_count_and_size(seg, video, tmp_path):
    stream = seg.stream(video)
    sink = VideoSink(tmp_path / "out.mp4", stream.source.fps, (48, 64))
    for res in stream:
        sink.write(res.plot(legend=False))
    assert sink.close() == tmp_path / "out.mp4"
    frames = read_video(tmp_path / "out.mp4")
    assert len(frames) == 30 and frames[0].shape == (48, 64, 3)
    assert not list(tmp_path.glob(".*partial*"))


def test_sequences_skip_and_count_corrupt_frames(seg, tmp_path, colour_image):
    for k in range(4):
        Image.fromarray(colour_image).save(tmp_path / f"f{k}.png")
    (tmp_path / "f2.png").write_bytes(b"garbage")
    src = open_source(tmp_path)
    results = list(seg.stream(src))
    assert [r.frame_index for r in results] == [0, 1, 3]
    assert src.stats.skipped == 1 and "f2.png" in src.stats.errors[0]


class FlakyCapture:
    """A camera that delivers ``good`` frames, then fails; reopening works ``reopen_ok`` times."""

    opened = 0

    def __init__(self, good: int, reopen_ok: int) -> None:
        FlakyCapture.opened += 1
        self.ok = FlakyCapture.opened <= 1 + reopen_ok
        self.left = good if FlakyCapture.opened == 1 else 2

    def isOpened(self):  # noqa: N802 - OpenCV's name
        return self.ok

    def read(self):
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.full((24, 32, 3), 200, np.uint8)

    def get(self, prop):
        return 30.0

    def release(self):
        pass


@pytest.mark.parametrize("reopen_ok, expected", [(0, 5), (1, 7)])
def test_a_camera_that_disconnects_ends_cleanly(seg, reopen_ok, expected, tmp_path):
    FlakyCapture.opened = 0
    src = CaptureSource(0, live=True, retries=2, backoff_s=0.01,
                        capture_factory=lambda target: FlakyCapture(5, reopen_ok))
    stream = seg.stream(src, depth=64)  # large queue: nothing dropped in this test
    sink = VideoSink(tmp_path / "cam.mp4", src.fps, (24, 32))
    n = 0
    for res in stream:
        sink.write(res.plot(legend=False))
        n += 1
    sink.close()
    assert n == expected and "disconnected" in src.stats.ended
    assert src.stats.reconnects == reopen_ok
    assert len(read_video(tmp_path / "cam.mp4")) == expected  # what was written stays playable


def test_sources_that_cannot_be_opened(tmp_path):
    with pytest.raises(InputError, match="no such video file"):
        open_source(tmp_path / "none.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images to stream"):
        open_source(tmp_path / "empty")
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(InputError, match="cannot open video source"):
        open_source(tmp_path / "bad.mp4")


def test_long_clip_ends_without_leaking_frames(seg, tmp_path):
    path = write_video(tmp_path / "long.avi", 150, hw=(24, 32))
    stream = seg.stream(path)
    assert sum(1 for _ in stream) == 150
    assert stream.stats.processed == 150 and stream.stats.dropped == 0


def test_smoothing_suppresses_a_one_frame_flicker(seg, tmp_path):
    from pixelwise.io.video import SequenceSource

    red, blue = np.zeros((16, 16, 3), np.uint8), np.zeros((16, 16, 3), np.uint8)
    red[..., 0], blue[..., 2] = 220, 220
    paths = []
    for k, img in enumerate([red, red, red, blue, red, red]):
        Image.fromarray(img).save(tmp_path / f"{k}.png")
        paths.append(tmp_path / f"{k}.png")
    plain = [int(r.semantic[8, 8]) for r in seg.stream(SequenceSource(paths))]
    smooth = [int(r.semantic[8, 8]) for r in seg.stream(SequenceSource(paths), smooth=0.8)]
    assert plain == [0, 0, 0, 2, 0, 0]
    assert smooth == [0, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="alpha"):
        seg.stream(SequenceSource(paths), smooth=1.5)


def test_stopping_early_stops_the_pipeline_threads(seg, video):
    import threading

    it = iter(seg.stream(video, workers=2))
    next(it)
    assert any(t.name.startswith("pixelwise-inference") for t in threading.enumerate())
    it.close()  # what a `break` out of the for loop does
    assert not any(t.name.startswith("pixelwise-") and t.is_alive() for t in threading.enumerate())
