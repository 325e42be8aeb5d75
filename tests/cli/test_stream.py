"""`pixelwise stream` as a user runs it: output video, masks, live view, SIGTERM."""

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import cv2
import numpy as np
import pytest

from tests.video.conftest import read_video, write_video


@pytest.mark.parametrize("workers", ["0", "1", "3"])
def test_stream_writes_video_and_masks(cli, rgb_model, tmp_path, workers):
    src = write_video(tmp_path / "in.avi", 20)
    r = cli("stream", src, "--model", rgb_model, "--out", tmp_path / "out.mp4", "--save-masks", tmp_path / "m",
            "--threads", "1", "--workers", workers)
    assert r.returncode == 0, r.stderr
    assert "20 frame(s) segmented" in r.stdout and "fps" in r.stderr and "dropped 0" in r.stderr
    frames = read_video(tmp_path / "out.mp4")
    assert len(frames) == 20 and frames[0].shape == (48, 64, 3)
    masks = sorted((tmp_path / "m").glob("*.png"))
    assert len(masks) == 20 and masks[0].name == "000000.png"
    # even frames are red (class 0), odd ones blue (class 2): in order whatever the workers
    assert [int(np.median(cv2.imread(str(m), cv2.IMREAD_UNCHANGED))) for m in masks] == [0, 2] * 10


def test_show_without_a_gui_says_what_to_do(cli, rgb_model, tmp_path):
    src = write_video(tmp_path / "in.avi", 3)
    r = cli("stream", src, "--model", rgb_model, "--show")
    assert r.returncode == 2 and "--serve" in r.stderr and "Traceback" not in r.stderr


def test_bad_serve_address_and_missing_source(cli, rgb_model, tmp_path):
    r = cli("stream", tmp_path / "none.mp4", "--model", rgb_model)
    assert r.returncode == 2 and "no such video file" in r.stderr
    src = write_video(tmp_path / "in.avi", 3)
    r = cli("stream", src, "--model", rgb_model, "--serve", "nonsense")
    assert r.returncode == 2 and "HOST:PORT" in r.stderr


def test_serve_on_a_port_in_use_names_the_address(cli, rgb_model, tmp_path):
    src = write_video(tmp_path / "in.avi", 3)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = cli("stream", src, "--model", rgb_model, "--serve", f"127.0.0.1:{port}")
    assert r.returncode == 2, r.stderr
    assert f"cannot listen on http://127.0.0.1:{port}" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def _finish(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[str, str]:
    """Send ``sig`` and wait; a run that does not end is killed after printing its threads' stacks."""
    proc.send_signal(sig)
    try:
        return proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack to stderr
        time.sleep(2)
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"pixelwise stream did not stop within 60 s after signal {sig}; stacks:\n{err}") from None


def _start(rgb_model, src, *extra):
    return subprocess.Popen([sys.executable, "-m", "pixelwise", "stream", str(src), "--model", str(rgb_model),
                             "--threads", "1", *map(str, extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for_stats(proc: subprocess.Popen, timeout_s: float = 60.0) -> None:
    """Until the run prints its first frames-per-second line (it is streaming), at most ``timeout_s``."""
    deadline = time.time() + timeout_s
    while time.time() < deadline and "frames" not in proc.stderr.readline():
        pass


@pytest.mark.parametrize("extra", [(), ("--sequential",)])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_finalises_the_output_and_exits_0(rgb_model, tmp_path, sig, extra):
    src = write_video(tmp_path / "long.avi", 3000, hw=(32, 48))
    proc = _start(rgb_model, src, "--out", tmp_path / "out.mp4", "--stats-every", "0.2", *extra)
    try:
        _wait_for_stats(proc)
        out, err = _finish(proc, sig)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted; output finalised" in out
    n = int(out.split(" frame(s)")[0].split()[-1])
    assert 0 < n < 3000
    assert len(read_video(tmp_path / "out.mp4")) == n


def _live_view_url(proc: subprocess.Popen, timeout_s: float = 60.0) -> str:
    """The address ``stream --serve 127.0.0.1:0`` announces once it listens (the system picks the port, so
    no other socket can take it first and no request goes out before the server is there)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        line = proc.stderr.readline()
        if line.startswith("live view at "):
            return line.split("live view at ", 1)[1].strip().rstrip("/")
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"pixelwise stream announced no live view within {timeout_s:g} s")


def _first_frame(url: str, timeout_s: float = 60.0) -> bytes:
    """The first JPEG the live view answers at /frame.jpg (retrying until the first frame is published)."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/frame.jpg", timeout=5) as resp:
                assert resp.headers["Content-Type"] == "image/jpeg"
                return resp.read()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no frame from {url}/frame.jpg within {timeout_s:g} s")


def test_live_view_serves_jpeg_frames(rgb_model, tmp_path):
    src = write_video(tmp_path / "long.avi", 3000, hw=(32, 48))
    proc = _start(rgb_model, src, "--serve", "127.0.0.1:0")
    try:
        url = _live_view_url(proc)
        body = _first_frame(url)
        img = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        assert img.shape == (32, 48, 3)
        with urllib.request.urlopen(f"{url}/", timeout=5) as resp:
            page = resp.read()
        assert b'src="/stream"' in page, page[:300]
        with urllib.request.urlopen(f"{url}/stream", timeout=5) as resp:
            assert "multipart/x-mixed-replace" in resp.headers["Content-Type"]
            assert resp.read(200).startswith(b"--pixelwiseframe")
        proc.send_signal(signal.SIGUSR1)  # a stack dump for stuck runs; the run goes on
    finally:
        out, err = _finish(proc)
    assert proc.returncode == 0, err
    assert "most recent call first" in err and "pixelwise" in err


def _frames_written(out: str) -> int:
    return int(out.split(" frame(s)")[0].split()[-1])


@pytest.mark.parametrize("run", range(3))
@pytest.mark.parametrize(("first", "second"), [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM, signal.SIGTERM),
                                               (signal.SIGINT, signal.SIGTERM)])
def test_two_signals_50ms_apart_end_cleanly_and_finalise_the_video(rgb_model, tmp_path, first, second, run):
    """Never an abort (exit -6) or a death by signal: 128 + the second signal when it came while the
    run was still finishing, 0 when it came after the output was final (then it is ignored)."""
    src = write_video(tmp_path / "long.avi", 3000, hw=(32, 48))
    proc = _start(rgb_model, src, "--out", tmp_path / "out.mp4", "--stats-every", "0.2")
    try:
        _wait_for_stats(proc)
        time.sleep(0.1 * run)  # a different point of the stream each run
        proc.send_signal(first)
        time.sleep(0.05)
        out, err = _finish(proc, second)
    finally:
        proc.kill()
    assert "terminate called" not in err and "Traceback" not in err
    if "interrupted twice; output finalised" in out:
        assert proc.returncode == 128 + second, err
    else:
        assert proc.returncode == 0 and "interrupted; output finalised" in out, (proc.returncode, err)
    n = _frames_written(out)
    assert 0 < n < 3000
    assert len(read_video(tmp_path / "out.mp4")) == n
    assert not list(tmp_path.glob(".*partial*"))


def test_a_second_signal_while_stopping_exits_128_plus_signal(rgb_model, tmp_path):
    """Both signals delivered at once (the process is paused while they are sent): the second one
    is certainly seen during the stop."""
    src = write_video(tmp_path / "long.avi", 3000, hw=(32, 48))
    proc = _start(rgb_model, src, "--out", tmp_path / "out.mp4", "--stats-every", "0.2")
    try:
        _wait_for_stats(proc)
        proc.send_signal(signal.SIGSTOP)
        proc.send_signal(signal.SIGINT)
        proc.send_signal(signal.SIGTERM)
        out, err = _finish(proc, signal.SIGCONT)
    finally:
        proc.kill()
    assert proc.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM), (proc.returncode, err)
    assert "interrupted twice; output finalised" in out and "terminate called" not in err
    assert len(read_video(tmp_path / "out.mp4")) == _frames_written(out) > 0


# -- background effects of a person model (--blur-background / --replace-background) ------------------------

def _person_frame(k: int, hw=(72, 96)) -> np.ndarray:
    """RGB frame k: a red background of vertical stripes, a green 'person' moving 1 px right per frame."""
    img = np.zeros((*hw, 3), np.uint8)
    img[:] = (220, 30, 30)
    img[:, ::8] = img[:, 1::8] = img[:, 2::8] = img[:, 3::8] = (150, 20, 20)
    img[16:60, 20 + k:52 + k] = (30, 210, 40)
    return img


def _person_video(path, n: int = 12):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (96, 72))
    for k in range(n):
        writer.write(_person_frame(k)[..., ::-1].copy())
    writer.release()
    return path


PERSON = (slice(20, 56), slice(34, 48))  # inside the person in every frame (moving and smoothed edges aside)
BACKGROUND = (slice(0, 72), slice(76, 96))  # never near the person


def _effect_frames(tmp_path, person_model, *effect):
    from pixelwise.cli.main import main

    src = _person_video(tmp_path / "call.avi")
    out = tmp_path / "out.mp4"
    code = main(["stream", str(src), "--model", str(person_model), "--out", str(out), "--threads", "1",
                 "--stats-every", "100", *effect])
    assert code == 0
    return read_video(src), read_video(out)


@pytest.mark.parametrize("loop", [("--workers", "1"), ("--workers", "2"), ("--sequential",)])
def test_stream_blur_background_keeps_the_person_and_blurs_the_rest(tmp_path, person_model, loop, capsys):
    frames_in, frames_out = _effect_frames(tmp_path, person_model, "--blur-background", "4", *loop)
    assert len(frames_out) == len(frames_in) == 12
    assert "12 frame(s) segmented" in capsys.readouterr().out
    for k, (a, b) in enumerate(zip(frames_in, frames_out)):
        diff = np.abs(a[PERSON].astype(int) - b[PERSON].astype(int))
        assert diff.mean() < 4, (k, diff.mean())  # the person's pixels, up to the mp4 codec's loss
        stripes_in = a[BACKGROUND][..., 0].astype(float).std(axis=1).mean()
        stripes_out = b[BACKGROUND][..., 0].astype(float).std(axis=1).mean()
        assert stripes_in > 25 and stripes_out < stripes_in / 4, (k, stripes_in, stripes_out)
        assert b[BACKGROUND][..., 0].mean() > 150  # still the (blurred) red scene, not a colour


def test_stream_replace_background_with_a_colour(tmp_path, person_model):
    frames_in, frames_out = _effect_frames(tmp_path, person_model, "--replace-background", "#0000ff",
                                           "--matte-smooth", "0.7")
    assert len(frames_out) == 12
    for a, b in zip(frames_in, frames_out):
        assert np.abs(a[PERSON].astype(int) - b[PERSON].astype(int)).mean() < 4
        bg = b[BACKGROUND].reshape(-1, 3).astype(int)
        assert np.abs(bg - (0, 0, 255)).mean() < 8


def test_stream_replace_background_with_an_image(tmp_path, person_model):
    from PIL import Image

    Image.fromarray(np.full((30, 40, 3), (250, 250, 0), np.uint8)).save(tmp_path / "beach.png")
    _, frames_out = _effect_frames(tmp_path, person_model, "--replace-background", str(tmp_path / "beach.png"))
    assert np.abs(frames_out[5][BACKGROUND].reshape(-1, 3).astype(int) - (250, 250, 0)).mean() < 8


def test_matte_smoothing_steadies_a_flickering_edge(person_model):
    """A frame whose person is briefly missing: with smoothing the matte keeps half of it."""
    import pixelwise as pw
    from pixelwise.io.video import Frame, FrameSource
    from pixelwise.vis.background import BackgroundEffect

    class Frames(FrameSource):  # a person, no person, a person again
        def frames(self):
            gone = _person_frame(0)
            gone[16:60, 20:52] = (220, 30, 30)
            for k, image in enumerate((_person_frame(0), gone, _person_frame(0))):
                yield Frame(k, k / 25.0, image)

    seg = pw.Segmenter(person_model, threads=1)
    raw = [r.plotted for r in seg.stream(Frames(), plot=BackgroundEffect(background=(0, 0, 255), smooth=0.0))]
    smoothed = [r.plotted for r in seg.stream(Frames(), plot=BackgroundEffect(background=(0, 0, 255), smooth=0.5))]
    assert (raw[1][PERSON] == (0, 0, 255)).all()  # unsmoothed: the person vanished
    assert smoothed[1][PERSON][..., 2].astype(int).mean() < 200  # smoothed: half of him is still there
    assert np.array_equal(smoothed[0][PERSON], _person_frame(0)[PERSON])


@pytest.mark.parametrize(("args", "message"), [
    (["--cutout", "--out", "o.mp4"], "--cutout is for photos"),
    (["--blur-background", "0", "--out", "o.mp4"], "--blur-background SIGMA must be > 0"),
    (["--blur-background"], "add one of them"),
    (["--blur-background", "--replace-background", "white", "--out", "o.mp4"], "choose one"),
    (["--replace-background", "reddish", "--out", "o.mp4"], "--replace-background: expected a colour"),
    (["--replace-background", "nope.jpg", "--out", "o.mp4"], "nope.jpg: no such image file"),
    (["--blur-background", "--matte-smooth", "1", "--out", "o.mp4"], "--matte-smooth must be in [0, 1)"),
])
def test_bad_effect_options_exit_2_in_one_line(tmp_path, person_model, capsys, monkeypatch, args, message):
    from pixelwise.cli.main import main

    monkeypatch.chdir(tmp_path)
    src = _person_video(tmp_path / "call.avi", 2)
    assert main(["stream", str(src), "--model", str(person_model), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert not (tmp_path / "o.mp4").exists()


def test_an_effect_needs_a_person_class(tmp_path, rgb_model, capsys):
    from pixelwise.cli.main import main

    src = _person_video(tmp_path / "call.avi", 2)
    assert main(["stream", str(src), "--model", str(rgb_model), "--blur-background", "--out",
                 str(tmp_path / "o.mp4")]) == 2
    assert "no person class (red, green, blue)" in capsys.readouterr().err


def test_the_docs_video_example_runs(tmp_path, person_model):
    """docs/effects.md's Python example, with the tiny person model and a small video in place of the real ones."""
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "effects.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", docs, flags=re.S)
    src = _person_video(tmp_path / "call.avi", 6)
    code = (code.replace('Segmenter("people")', f'Segmenter({str(person_model)!r}, threads=1)')
            .replace('"call.mp4"', repr(str(src))).replace('"call_blurred.mp4"', repr(str(tmp_path / "out.mp4"))))
    scope: dict = {}
    exec(code, scope)  # the project's own docs
    assert scope["frame"].shape == (72, 96, 3)
    frames = read_video(tmp_path / "out.mp4")
    assert len(frames) == 6 and frames[-1][BACKGROUND][..., 0].astype(float).std(axis=1).mean() < 8


def test_served_frames_carry_the_effect(person_model, tmp_path):
    """--serve publishes the composited frames, not the class overlay."""
    writer = cv2.VideoWriter(str(tmp_path / "long.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (96, 72))
    frame = _person_frame(0)[..., ::-1].copy()
    for _ in range(1500):
        writer.write(frame)
    writer.release()
    proc = _start(person_model, tmp_path / "long.avi", "--serve", "127.0.0.1:0", "--replace-background",
                  "0,0,255")
    try:
        body = _first_frame(_live_view_url(proc))
    finally:
        out, err = _finish(proc)
    assert proc.returncode == 0, err
    rgb = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)[..., ::-1].astype(int)
    assert np.abs(rgb[:, 70:] - (0, 0, 255)).mean() < 12  # the background replaced
    assert np.abs(rgb[PERSON] - (30, 210, 40)).mean() < 12  # the person kept
