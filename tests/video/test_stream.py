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

    def isOpened(self):  # OpenCV's name
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


# -- the pipeline does the work the user asks for (plot=, out=, save_masks=) ----------------------
def _pipeline_threads() -> list[str]:
    import threading

    return [t.name for t in threading.enumerate() if t.name.startswith("pixelwise-") and t.is_alive()]


def _colour_class(img: np.ndarray) -> int:
    """0 for a red frame, 2 for a blue one (the fixture video's pattern)."""
    return 0 if img[..., 0].mean() > img[..., 2].mean() else 2


@pytest.mark.parametrize(("dual_buffer", "workers"), [(True, 0), (True, 3), (False, 1)])
def test_plot_true_draws_in_the_pipeline_in_order(seg, video, dual_buffer, workers):
    results = list(seg.stream(video, plot=True, dual_buffer=dual_buffer, workers=workers))
    assert [r.frame_index for r in results] == list(range(30))
    for r in results:
        assert r.plotted is not None and r.plot() is r.plotted  # the precomputed drawing, no new work
        np.testing.assert_array_equal(r.plotted, r.plot(alpha=0.5, legend=True, boxes=True))
    assert [_colour_class(r.plotted) for r in results] == [0, 2] * 15
    assert not _pipeline_threads()


def test_drawing_runs_in_the_worker_threads_and_options_reach_it(seg, video):
    import threading

    names = set()

    def draw(res):
        names.add(threading.current_thread().name)
        return res.image.copy()

    results = list(seg.stream(video, plot=draw, workers=2))
    assert names and all(n.startswith("pixelwise-inference") for n in names)
    np.testing.assert_array_equal(results[3].plot(), results[3].image)
    styled = next(iter(seg.stream(video, plot={"alpha": 0.0, "legend": False})))
    np.testing.assert_array_equal(styled.plotted, styled.image)  # alpha 0: the image itself
    with pytest.raises(InputError, match="unknown drawing option"):
        seg.stream(video, plot={"colour": 1})
    with pytest.raises(InputError, match="alpha"):
        seg.stream(video, plot={"alpha": 2})


def test_an_exception_while_drawing_reaches_the_caller_and_leaves_no_thread(seg, video):
    import itertools

    calls = itertools.count()

    def draw(res):
        if next(calls) == 7:
            raise RuntimeError("drawing failed on the 8th frame drawn")
        return res.image

    got = []
    with pytest.raises(RuntimeError, match="8th frame"):
        for res in seg.stream(video, plot=draw, workers=2):
            got.append(res.frame_index)
    # the 8th drawing is of frame 7 or, with frames overtaking each other, a few frames later
    assert got == list(range(len(got))) and len(got) <= 7 + 4
    assert not _pipeline_threads()
    with pytest.raises(InputError, match=r"\(H, W, 3\) uint8"):
        list(seg.stream(video, plot=lambda res: res.semantic))
    assert not _pipeline_threads()


@pytest.mark.parametrize("dual_buffer", [True, False])
def test_out_and_save_masks_are_written_in_order(seg, video, tmp_path, dual_buffer):
    out, masks = tmp_path / "out.mp4", tmp_path / "masks"
    n = sum(1 for _ in seg.stream(video, plot=lambda r: r.image, out=out, save_masks=masks, dual_buffer=dual_buffer))
    assert n == 30
    frames = read_video(out)
    assert len(frames) == 30 and [_colour_class(f) for f in frames] == [0, 2] * 15
    pngs = sorted(masks.glob("*.png"))
    assert [p.name for p in pngs[:2]] == ["000000.png", "000001.png"] and len(pngs) == 30
    assert [int(np.median(np.asarray(Image.open(p)))) for p in pngs] == [0, 2] * 15
    with pytest.raises(InputError, match="unsupported video suffix"):
        seg.stream(video, out=tmp_path / "out.txt")


def test_breaking_out_finalises_the_video_and_stops_every_thread(seg, tmp_path):
    path = write_video(tmp_path / "long.avi", 400, hw=(24, 32))
    out = tmp_path / "out.mp4"
    stream = seg.stream(path, plot=True, out=out, workers=2)
    for res in stream:
        if res.frame_index == 10:
            break
    assert not _pipeline_threads()
    assert out.exists() and not list(tmp_path.glob(".*partial*"))
    written = len(read_video(out))
    assert written == stream.stats.finished and 11 <= written < 400  # frames made ahead are written too


def test_the_user_loop_overlaps_inference_of_the_next_frames(seg, tmp_path):
    import time

    path = write_video(tmp_path / "long.avi", 120, hw=(24, 32))
    stream = seg.stream(path, workers=2)
    ahead = []
    for res in stream:
        time.sleep(0.01)  # the user's own drawing
        ahead.append(stream.stats.processed - (res.frame_index + 1))
    assert max(ahead) >= 2  # results were made ahead into the bounded queue
    assert max(ahead) <= 2 + 2 + 2 + 2 + 1  # q_in + workers + q_done/reordering + q_out: bounded


def test_tracking_with_plot_draws_after_tracking_in_order(seg, tmp_path):
    import threading

    path = write_video(tmp_path / "in.avi", 12)
    names = set()

    def draw(res):
        names.add(threading.current_thread().name)
        assert res.instances.track_ids is not None  # tracked before drawing
        return res.plot(legend=False)

    results = list(seg.stream(path, plot=draw, track=True, workers=2))
    assert [r.frame_index for r in results] == list(range(12)) and names == {"pixelwise-order"}
    red = [r for r in results if r.frame_index % 2 == 0]
    assert all(len(r.instances.track_ids) == 1 for r in red)


def test_stream_defaults_are_the_clis(seg, rgb_model, video):
    from pixelwise.video.stream import STREAM_DEFAULTS, resolve_workers, threads_per_worker

    stream = seg.stream(video)
    assert stream.workers == resolve_workers(STREAM_DEFAULTS.workers) and stream.depth == STREAM_DEFAULTS.depth
    assert stream.dual_buffer is STREAM_DEFAULTS.dual_buffer
    assert resolve_workers(0, cores=2) == 2 and resolve_workers(0, cores=1) == 1
    assert resolve_workers(0, cores=8, in_order=True) == 1 and resolve_workers(0, cores=8, dual_buffer=False) == 1
    assert seg.stream(video, smooth=0.5).workers == 1
    auto = pw.Segmenter(rgb_model)  # threads=0: frame-parallel runs get a session of cores/workers threads
    predictor = auto._stream_predictor(2)
    assert predictor.session.config.threads == threads_per_worker(2) and not predictor.session.config.spinning
    assert auto._stream_predictor(2) is predictor and auto._stream_predictor(1) is auto.predictor
    assert seg._stream_predictor(2) is seg.predictor  # threads chosen by the user are kept


def test_live_sources_still_drop_stale_frames_with_plot(seg):
    import time

    from pixelwise.io.video import Frame, FrameSource

    class Camera(FrameSource):
        live = True

        def frames(self):
            for k in range(300):
                time.sleep(0.001)
                yield Frame(k, k / 1000, np.full((24, 32, 3), 200, np.uint8))

    stream = seg.stream(Camera(), plot=True, workers=2)
    got = []
    for res in stream:
        time.sleep(0.01)  # a slow consumer
        got.append(res.frame_index)
    assert got == sorted(got) and stream.stats.dropped > 0 and got[-1] >= 280


def test_an_exception_in_the_users_loop_leaves_no_thread_and_finalises_the_video(seg, video, tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(KeyError):
        for res in seg.stream(video, plot=True, out=out, workers=2):
            if res.frame_index == 4:
                raise KeyError("the user's own drawing failed")
    assert not _pipeline_threads()
    assert 5 <= len(read_video(out)) <= 30 and not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("dual_buffer", [True, False])
def test_stop_ends_the_loop_in_both_modes_and_even_before_it_starts(seg, tmp_path, dual_buffer):
    path = write_video(tmp_path / "long.avi", 300, hw=(24, 32))
    stream = seg.stream(path, dual_buffer=dual_buffer, out=tmp_path / "a.mp4")
    got = 0
    for _ in stream:
        got += 1
        if got == 5:
            stream.stop()  # what the CLI's signal handler does
    assert 5 <= got < 300 and not _pipeline_threads()
    assert len(read_video(tmp_path / "a.mp4")) == stream.stats.finished
    early = seg.stream(path, dual_buffer=dual_buffer, out=tmp_path / "b.mp4")
    early.stop()
    assert list(early) == [] and not _pipeline_threads()


def test_a_folder_stream_takes_regular_image_files_only(tmp_path):
    """The stream's folder source uses the one input resolver: a sub-folder named like an image
    and a FIFO with an image suffix are not frames (not even skipped ones)."""
    import os

    from pixelwise.io.video import open_source

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "b.png").mkdir()
    os.mkfifo(tmp_path / "c.png")
    src = open_source(str(tmp_path))
    assert [f.image.shape for f in src.frames()] == [(8, 8, 3)]
    assert src.stats.skipped == 0 and src.stats.errors == []  # never taken for frames, so nothing to skip
