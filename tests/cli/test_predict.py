import json

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def images(tmp_path, colour_image):
    d = tmp_path / "imgs"
    d.mkdir()
    Image.fromarray(colour_image).save(d / "a.png")
    Image.fromarray(colour_image[:60]).save(d / "b.jpg")
    return d


def test_predict_writes_overlay_mask_json_and_prints_table(cli, rgb_model, images, tmp_path):
    out = tmp_path / "out"
    r = cli("predict", images / "a.png", "--model", rgb_model, "--out", out, "--confidence")
    assert r.returncode == 0, r.stderr
    assert "red" in r.stdout and "share" in r.stdout and " ms " in r.stdout
    with Image.open(out / "a_mask.png") as im:
        mask = np.asarray(im)
    assert mask.shape == (120, 160) and mask[5, 5] == 0 and mask[5, 155] == 2
    with Image.open(out / "a_overlay.png") as im:
        assert im.size == (160, 120)
    doc = json.loads((out / "a.json").read_text())
    assert doc["areas"]["blue"]["id"] == 2 and doc["source"].endswith("a.png")
    assert (out / "a_conf.png").is_file()


def test_directory_and_glob_and_same_stems(cli, rgb_model, images, tmp_path):
    out = tmp_path / "out"
    r = cli("predict", images, str(images / "*.png"), "--model", rgb_model, "--out", out, "--quiet")
    assert r.returncode == 0, r.stderr
    assert "3 image(s) segmented" in r.stdout
    assert {p.name for p in out.glob("*_mask.png")} == {"a_mask.png", "b_mask.png", "a_2_mask.png"}


def test_bad_inputs_are_reported_and_the_batch_continues(cli, rgb_model, images, tmp_path):
    (images / "broken.png").write_text("text, not pixels")
    r = cli("predict", images, tmp_path / "missing.jpg", "--model", rgb_model, "--out", tmp_path / "o")
    assert r.returncode == 2
    assert "2 image(s) segmented" in r.stdout and "2 failed" in r.stdout
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("pixelwise: error:")]
    assert len(errors) == 2 and "broken.png: not an image" in r.stderr and "missing.jpg: no such file" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args, code, message", [
    (["predict", "{empty}"], 2, "directory is empty"),
    (["predict", "{img}", "--model", "{notonnx}"], 2, "not a usable ONNX model"),
    (["predict", "{img}", "--model", "nosuchmodel"], 2, "no such model file or known model name"),
    (["predict", "{img}", "--alpha", "3"], 2, "--alpha must be between 0 and 1"),
    (["predict", "{img}", "--imgsz", "abc"], 2, "expected HEIGHTxWIDTH"),
    (["predict", "{img}", "--classes", "purple"], 2, "unknown class 'purple'"),
    (["predict", "{img}", "--classes", "99"], 2, "class id 99 out of range 0..2; the model's classes are: 0 red"),
    (["predict", "{img}", "--imgsz", "0x5"], 2, "expected HEIGHTxWIDTH"),
    (["predict", "{img}", "--imgsz", "100000x100000"], 2,
     "imgsz (--imgsz) 100000x100000 has 10000.0 MP, more than the budget of 16.8 MP (4096x4096)"),
    (["predict", "{img}", "--imgsz", "20000x20000", "--model", "nosuchmodel"], 2,
     "20000x20000 has 400.0 MP, more than the budget of 16.8 MP"),  # refused before the model is looked for
    (["predict", "{img}", "--tile", "9000x9000"], 2, "tile (--tile) 9000x9000 has 81.0 MP, more than the budget"),
    (["predict", "{img}", "--conf", "2"], 2, "conf (--conf) must be a number between 0 and 1, got 2.0"),
    (["predict", "{img}", "--timeout", "-1"], 2, "argument --timeout: expected a positive number of seconds"),
])
def test_usage_errors_exit_2_in_one_line(cli, rgb_model, images, tmp_path, args, code, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "m.onnx").write_text("nope")
    subst = {"{empty}": tmp_path / "empty", "{img}": images / "a.png", "{notonnx}": tmp_path / "m.onnx"}
    argv = [str(subst.get(a, a)) for a in args]
    if "--model" not in argv:
        argv += ["--model", str(rgb_model)]
    r = cli(*argv, "--out", tmp_path / "o")
    assert r.returncode == code, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr


def test_debug_shows_the_traceback(cli, tmp_path):
    (tmp_path / "m.onnx").write_text("nope")
    r = cli("--debug", "predict", tmp_path / "x.png", "--model", tmp_path / "m.onnx")
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_version_and_help(cli):
    from pixelwise import __version__

    r = cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"pixelwise {__version__}"
    r = cli()
    assert r.returncode == 2 and "predict" in r.stdout


def test_default_model_end_to_end(cli, tmp_path, default_model_path):
    from pixelwise.registry import WEIGHTS_DIR

    sample = WEIGHTS_DIR.parent / "assets" / "leuvenA.jpg"
    r = cli("predict", sample, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "leuvenA.json").read_text())
    assert doc["height"] == 563 and doc["width"] == 751 and "building" in doc["classes_present"]


def test_a_trickling_url_ends_at_the_deadline_with_exit_2(cli, rgb_model, tmp_path):
    import time

    from tests.io.servers import http_server, trickle

    with http_server(trickle(1000, every_s=0.5)) as base:
        url = f"{base}/slow.png"
        t0 = time.monotonic()
        r = cli("predict", url, "--model", rgb_model, "--out", tmp_path / "o", "--timeout", "2", timeout=30)
        assert r.returncode == 2, r.stderr
        assert f"pixelwise: error: {url}: download did not finish within 2 s" in r.stderr
        assert time.monotonic() - t0 < 10


def test_export_help_names_the_int8_file_after_out():
    from pixelwise.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["export"]
    text = " ".join(sub.format_help().split())
    assert "OUT.onnx -> OUT_int8.onnx" in text and "NAME_int8" not in text
