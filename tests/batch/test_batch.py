"""Batches: inputs, index, resume, failures, kill -9 and rerun, full disks, Ray == local."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelwise.batch import BatchConfig, list_inputs, read_index, run_batch
from pixelwise.errors import InputError, PixelwiseRuntimeError


def make_images(folder: Path, n: int, hw=(48, 64), seed=0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for k in range(n):
        img = np.zeros((*hw, 3), np.uint8)
        img[..., k % 3] = rng.integers(150, 255)
        p = folder / f"img{k:04d}.png"
        Image.fromarray(img).save(p)
        paths.append(p)
    return paths


def cfg(out, model, **kw):
    return BatchConfig(out=out, model=str(model), workers=kw.pop("workers", 2), threads=1, progress=False, **kw)


def test_inputs_from_dir_glob_and_manifests(tmp_path):
    paths = make_images(tmp_path / "imgs", 3)
    assert list_inputs(tmp_path / "imgs") == [str(p) for p in paths]
    assert len(list_inputs(str(tmp_path / "imgs" / "*.png"))) == 3
    (tmp_path / "list.txt").write_text("imgs/img0000.png\nimgs/img0001.png\nimgs/img0001.png\n")
    expected = [str(tmp_path / "imgs/img0000.png"), str(tmp_path / "imgs/img0001.png")]
    assert list_inputs(tmp_path / "list.txt") == expected
    (tmp_path / "m.csv").write_text("path,other\nimgs/img0002.png,x\n")
    assert list_inputs(tmp_path / "m.csv") == [str(tmp_path / "imgs/img0002.png")]
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"path": [str(paths[0])]}), tmp_path / "m.parquet")
    assert list_inputs(tmp_path / "m.parquet") == [str(paths[0])]
    with pytest.raises(InputError, match="no such directory"):
        list_inputs(tmp_path / "nothing")
    (tmp_path / "bad.csv").write_text("name\nx\n")
    with pytest.raises(InputError, match="'path'"):
        list_inputs(tmp_path / "bad.csv")


@pytest.mark.slow
def test_batch_writes_masks_and_index_and_resumes(tmp_path, rgb_model):
    make_images(tmp_path / "imgs", 10)
    out = tmp_path / "out"
    s = run_batch(tmp_path / "imgs", cfg(out, rgb_model, overlay=True))
    assert (s.total, s.processed, s.failed) == (10, 10, 0)
    index = read_index(out)
    assert len(index) == 10
    rec = index[str(tmp_path / "imgs" / "img0001.png")]
    assert rec["status"] == "ok" and rec["classes_present"] == ["green"] and rec["areas"]["green"]["pixels"] == 48 * 64
    assert (np.asarray(Image.open(out / rec["mask"])) == 1).all() and (out / rec["overlay"]).is_file()
    assert (out / "index.parquet").is_file()
    again = run_batch(tmp_path / "imgs", cfg(out, rgb_model))
    assert (again.skipped, again.processed) == (10, 0)
    (out / rec["mask"]).unlink()  # incomplete output: redone, judged by the index not just the file list
    (out / index[str(tmp_path / "imgs" / "img0002.png")]["mask"]).write_bytes(b"cut")
    third = run_batch(tmp_path / "imgs", cfg(out, rgb_model))
    assert third.processed == 2
    assert run_batch(tmp_path / "imgs", cfg(out, rgb_model, force=True)).processed == 10


@pytest.mark.slow
def test_bad_inputs_are_recorded_and_the_batch_goes_on(tmp_path, rgb_model, cli):
    make_images(tmp_path / "imgs", 3)
    (tmp_path / "imgs" / "broken.png").write_bytes(b"nope")
    names = [f"{tmp_path}/imgs/img0000.png", f"{tmp_path}/missing.png", f"{tmp_path}/imgs/broken.png"]
    (tmp_path / "list.txt").write_text("\n".join(names) + "\n")
    r = cli("batch", tmp_path / "list.txt", "--out", tmp_path / "out", "--model", rgb_model, "--workers", "1",
            "--quiet")
    assert r.returncode == 2, r.stderr
    assert "1 processed" not in r.stdout and "2 failed" in r.stdout
    index = read_index(tmp_path / "out")
    assert index[f"{tmp_path}/missing.png"]["error"].endswith("no such file")
    assert "not an image" in index[f"{tmp_path}/imgs/broken.png"]["error"]
    assert index[f"{tmp_path}/imgs/img0000.png"]["status"] == "ok"


@pytest.mark.slow
def test_sigkill_then_rerun_processes_every_image_exactly_once(tmp_path, default_model_path):
    make_images(tmp_path / "imgs", 150, hw=(360, 480))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "pixelwise", "batch", str(tmp_path / "imgs"), "--out", str(out), "--workers", "1",
           "--threads", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        log = out / "index.jsonl"
        if log.is_file() and log.read_text().count("\n") >= 32:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = read_index(out)
    assert 32 <= len(first) < 150, len(first)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(ln) for ln in (out / "index.jsonl").read_text().splitlines() if ln.strip()]
    paths = [rec["path"] for rec in lines]
    assert len(paths) == len(set(paths)) == 150  # exactly once in the index
    for png in (out / "masks").iterdir():
        assert not png.name.startswith("."), png  # no temp files left
        with Image.open(png) as im:
            im.load()  # every PNG is complete


def test_full_disk_stops_with_a_clear_error_and_nothing_half_written(tmp_path, rgb_model):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        make_images(tmp_path / "imgs", 60, hw=(120, 160), seed=1)
        with pytest.raises(PixelwiseRuntimeError, match=r"stopping the batch: .*cannot write"):
            run_batch(tmp_path / "imgs", cfg(mnt / "out", rgb_model, workers=1))
        for png in (mnt / "out" / "masks").glob("*.png"):
            with Image.open(png) as im:
                im.load()
        assert not list((mnt / "out" / "masks").glob(".*.tmp"))
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_output_path_that_is_a_file_is_a_clear_error(tmp_path, rgb_model):
    make_images(tmp_path / "imgs", 1)
    (tmp_path / "out").write_text("a file")
    with pytest.raises(PixelwiseRuntimeError, match="cannot create the output folder"):
        run_batch(tmp_path / "imgs", cfg(tmp_path / "out", rgb_model))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_ray_engine_matches_local_byte_for_byte(tmp_path, rgb_model):
    pytest.importorskip("ray")
    make_images(tmp_path / "imgs", 12)
    local = run_batch(tmp_path / "imgs", cfg(tmp_path / "local", rgb_model))
    ray = run_batch(tmp_path / "imgs", cfg(tmp_path / "ray", rgb_model, engine="ray"))
    assert local.processed == ray.processed == 12 and ray.failed == 0
    a, b = read_index(tmp_path / "local"), read_index(tmp_path / "ray")
    assert a.keys() == b.keys()
    for path, rec in a.items():
        assert rec["mask"] == b[path]["mask"]
        assert (tmp_path / "local" / rec["mask"]).read_bytes() == (tmp_path / "ray" / rec["mask"]).read_bytes()


def test_any_spelling_of_the_same_input_is_already_complete(tmp_path, rgb_model, monkeypatch):
    make_images(tmp_path / "in", 4)
    (tmp_path / "work").mkdir()
    out = tmp_path / "out"
    first = run_batch(tmp_path / "in", cfg(out, rgb_model))
    assert first.processed == 4
    monkeypatch.chdir(tmp_path / "work")
    (tmp_path / "link").symlink_to(tmp_path / "in")
    for spelling in ("../in", "../in/", "../work/../in", "../link", str(tmp_path / "in" / "*.png")):
        again = run_batch(spelling, cfg(out, rgb_model))
        assert (again.total, again.skipped, again.processed) == (4, 4, 0), spelling
    (tmp_path / "list.txt").write_text("in/img0000.png\n./in/img0000.png\n" + str(tmp_path / "in/img0001.png") + "\n")
    assert run_batch(tmp_path / "list.txt", cfg(out, rgb_model)).processed == 0
    assert len(list((out / "masks").glob("*.png"))) == 4  # one mask per image
    assert sorted(read_index(out)) == sorted(str(p) for p in (tmp_path / "in").glob("*.png"))


def test_a_fifo_in_a_manifest_is_refused_not_waited_on(tmp_path, rgb_model):
    make_images(tmp_path / "imgs", 2)
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "list.txt").write_text("imgs/img0000.png\npipe.png\n/dev/zero\nimgs/img0001.png\n")
    s = run_batch(tmp_path / "list.txt", cfg(tmp_path / "out", rgb_model, workers=1))
    assert (s.processed, s.failed) == (4, 2)
    index = read_index(tmp_path / "out")
    assert "pipe.png: is a FIFO (named pipe)" in index[str(tmp_path / "pipe.png")]["error"]
    assert "/dev/zero: is a character device" in index["/dev/zero"]["error"]
    assert index[str(tmp_path / "imgs/img0001.png")]["status"] == "ok"


@pytest.mark.parametrize("args, message", [
    (["--workers", "-1"], "argument --workers: expected a whole number >= 0"),
    (["--threads", "x"], "argument --threads: expected a whole number >= 0"),
    (["--timeout", "0"], "argument --timeout: expected a positive number of seconds"),
])
def test_bad_counts_exit_2_in_one_line(tmp_path, rgb_model, cli, args, message):
    make_images(tmp_path / "imgs", 1)
    r = cli("batch", tmp_path / "imgs", "--out", tmp_path / "out", "--model", rgb_model, *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_bad_counts_in_the_api_raise_our_error(tmp_path):
    from pixelwise.errors import OptionError

    with pytest.raises(OptionError, match="workers must be a whole number >= 0 .*got -1"):
        BatchConfig(out=tmp_path, workers=-1)
    with pytest.raises(OptionError, match="engine must be 'local' or 'ray'"):
        BatchConfig(out=tmp_path, engine="spark")


def test_corrupt_parquet_manifest_exits_2_naming_the_file(tmp_path, rgb_model, cli):
    pytest.importorskip("pyarrow")
    (tmp_path / "m.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    r = cli("batch", tmp_path / "m.parquet", "--out", tmp_path / "out", "--model", rgb_model)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "m.parquet: not a readable Parquet manifest" in lines[0], r.stderr


@pytest.fixture
def stalled_url():
    """A URL on 127.0.0.1 whose body never comes; ``hits`` is set once a client waits on it."""
    import threading

    from tests.io.servers import http_server, trickle

    stop, hits = threading.Event(), threading.Event()
    stall = trickle(1000, every_s=0, stop=stop)

    def handle(h):
        hits.set()
        stall(h)

    with http_server(handle) as base:
        try:
            yield f"{base}/slow.png", hits
        finally:
            stop.set()  # before the server stops: its handler is waiting on this


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_workers_die_with_a_killed_parent(tmp_path, rgb_model, stalled_url, sig):
    """A worker stuck on a download and an idle one: both (and the resource tracker) end with the parent."""
    from tests.batch.procs import alive, cmdline, descendants, wait_gone

    url, hits = stalled_url
    make_images(tmp_path / "imgs", 3)
    (tmp_path / "list.txt").write_text(f"{url}\nimgs/img0000.png\n")
    cmd = [sys.executable, "-m", "pixelwise", "batch", str(tmp_path / "list.txt"), "--out", str(tmp_path / "out"),
           "--model", str(rgb_model), "--engine", "local", "--workers", "2", "--threads", "1", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    try:
        assert hits.wait(60), "the batch never reached the stalled URL"
        deadline = time.monotonic() + 30
        while len(children := descendants(proc.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # two workers and the resource tracker
        assert len(children) >= 3, [cmdline(p) for p in children]
        os.kill(proc.pid, sig)
        proc.wait(10)
        left = wait_gone(children, 5)
        assert not left, [cmdline(p) for p in left]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in alive(children):  # never leave a process behind, even when the test fails
            os.kill(pid, signal.SIGKILL)


def test_batch_takes_the_same_prediction_options(tmp_path, rgb_model, cli):
    from pixelwise.options import PredictOptions

    make_images(tmp_path / "imgs", 3)  # img0000 red, img0001 green, img0002 blue
    s = run_batch(tmp_path / "imgs", cfg(tmp_path / "out", rgb_model, options=PredictOptions(classes=("green",))))
    assert (s.processed, s.failed) == (3, 0)
    index = read_index(tmp_path / "out")
    assert [index[str(tmp_path / f"imgs/img000{k}.png")]["classes_present"] for k in range(3)] == [[], ["green"], []]
    r = cli("batch", tmp_path / "imgs", "--out", tmp_path / "o2", "--model", rgb_model, "--imgsz", "20000x20000")
    assert r.returncode == 2 and "imgsz (--imgsz) 20000x20000 has 400.0 MP, more than the budget" in r.stderr
    assert not (tmp_path / "o2").exists()  # refused before anything started


def test_an_index_keyed_as_typed_still_counts(tmp_path, rgb_model, monkeypatch):
    """Records written with the path as typed (before keys were resolved) are matched by resolved path."""
    make_images(tmp_path / "in", 2)
    out = tmp_path / "out"
    run_batch(tmp_path / "in", cfg(out, rgb_model))
    log = out / "index.jsonl"
    log.write_text(log.read_text().replace(f'"{tmp_path}/in/', '"./in/'))
    monkeypatch.chdir(tmp_path)
    again = run_batch("in", cfg(out, rgb_model))
    assert (again.skipped, again.processed) == (2, 0)


@pytest.mark.parametrize("args, message", [
    (["--classes", "purple"], "unknown class 'purple'; the model's classes are: red, green, blue"),
    (["--model", "/no/such/model.onnx"], "/no/such/model.onnx: no such model file or known model name"),
])
def test_a_model_or_option_no_image_can_use_stops_the_batch_in_one_line(tmp_path, rgb_model, cli, args, message):
    make_images(tmp_path / "imgs", 3)
    r = cli("batch", tmp_path / "imgs", "--out", tmp_path / "out", "--model", rgb_model, "--workers", "1", "--quiet",
            *args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"pixelwise: error: {message}"), r.stderr
    assert read_index(tmp_path / "out") == {}  # nothing recorded: a rerun with a good option does every image


def test_an_output_folder_inside_the_input_is_not_read_as_input(tmp_path, rgb_model):
    make_images(tmp_path / "imgs", 2)
    first = run_batch(tmp_path / "imgs", cfg(tmp_path / "imgs" / "out", rgb_model, overlay=True))
    again = run_batch(tmp_path / "imgs", cfg(tmp_path / "imgs" / "out", rgb_model, overlay=True))
    assert (first.total, again.total, again.processed) == (2, 2, 0)  # its masks and overlays are not new images


def test_a_csv_manifest_from_a_spreadsheet_with_a_byte_order_mark(tmp_path):
    make_images(tmp_path / "imgs", 1)
    (tmp_path / "m.csv").write_bytes("\ufeffpath\r\nimgs/img0000.png\r\n".encode())
    assert list_inputs(tmp_path / "m.csv") == [str(tmp_path / "imgs/img0000.png")]


def test_an_index_that_is_a_fifo_is_refused_not_waited_on(tmp_path, rgb_model):
    make_images(tmp_path / "imgs", 1)
    (tmp_path / "out").mkdir()
    os.mkfifo(tmp_path / "out" / "index.jsonl")
    with pytest.raises(InputError, match=r"index.jsonl: is a FIFO \(named pipe\).*must be a regular file"):
        run_batch(tmp_path / "imgs", cfg(tmp_path / "out", rgb_model))
