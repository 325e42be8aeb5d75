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


def test_batch_writes_masks_and_index_and_resumes(tmp_path, rgb_model):
    make_images(tmp_path / "imgs", 10)
    out = tmp_path / "out"
    s = run_batch(tmp_path / "imgs", cfg(out, rgb_model, overlay=True))
    assert (s.total, s.processed, s.failed) == (10, 10, 0)
    index = read_index(out)
    assert len(index) == 10
    rec = index[str(tmp_path / "imgs" / "img0001.png")]
    assert rec["status"] == "ok" and rec["classes_present"] == ["green"] and rec["areas"]["green"] == 48 * 64
    assert (np.asarray(Image.open(out / rec["mask"])) == 1).all() and (out / rec["overlay"]).is_file()
    assert (out / "index.parquet").is_file()
    again = run_batch(tmp_path / "imgs", cfg(out, rgb_model))
    assert (again.skipped, again.processed) == (10, 0)
    (out / rec["mask"]).unlink()  # incomplete output: redone, judged by the index not just the file list
    (out / index[str(tmp_path / "imgs" / "img0002.png")]["mask"]).write_bytes(b"cut")
    third = run_batch(tmp_path / "imgs", cfg(out, rgb_model))
    assert third.processed == 2
    assert run_batch(tmp_path / "imgs", cfg(out, rgb_model, force=True)).processed == 10


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
