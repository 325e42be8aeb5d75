"""The three YOLO26 exports through the user's doors: `pixelwise predict`, `pixelwise batch`, Segmenter."""

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import SHARED

YOLO26 = SHARED / "models" / "yolo26"
VAL = SHARED / "datasets" / "camvid" / "val"
IMAGE = VAL / "0016E5_07959.png"  # objects for both instance exports
REF_SEM = YOLO26 / "ref-val-320" / "sem" / "0016E5_07959.png"


def _export(name):
    path = YOLO26 / name
    if not path.is_file() or not IMAGE.is_file():
        pytest.skip(f"{path} or {IMAGE} not found (../shared; CI has it)")
    return path


@pytest.mark.parametrize("name, task", [("yolo26n-seg-camvid-320.onnx", "yolo_seg"),
                                        ("yolo26n-seg-e2e-camvid-320.onnx", "yolo_seg"),
                                        ("yolo26n-sem-camvid-320.onnx", "yolo_sem")])
def test_predict_writes_outputs_for_each_export(cli, tmp_path, name, task):
    model = _export(name)
    r = cli("predict", IMAGE, "--model", model, "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    stem = IMAGE.stem
    doc = json.loads((tmp_path / f"{stem}.json").read_text())
    assert doc["task"] == task and (doc["height"], doc["width"]) == (360, 480)
    with Image.open(tmp_path / f"{stem}_mask.png") as im:
        mask = np.asarray(im)
    assert mask.shape == (360, 480) and (tmp_path / f"{stem}_overlay.png").is_file()
    if task == "yolo_sem":
        assert "road" in r.stdout and "objects:" not in r.stdout and doc["instances"] == []
        assert (mask == np.asarray(Image.open(REF_SEM))).mean() >= 0.995
    else:
        assert doc["instances"] and f"objects: {len(doc['instances'])}" in r.stdout
        assert {o["label"] for o in doc["instances"]} <= {"car", "pedestrian", "bicyclist"}


@pytest.mark.parametrize("flag", [("--confidence",), ("--min-conf", "0.5")])
def test_confidence_on_a_class_id_export_is_a_clear_exit_2(cli, tmp_path, flag):
    model = _export("yolo26n-sem-camvid-320.onnx")
    r = cli("predict", IMAGE, IMAGE, "--model", model, "--out", tmp_path / "out", *flag)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "class ids only" in lines[0] and "--confidence / --min-conf" in lines[0]
    assert not (tmp_path / "out").exists()  # refused before any image


@pytest.mark.slow
def test_batch_on_the_semantic_export(cli, tmp_path):
    model = _export("yolo26n-sem-camvid-320.onnx")
    images = sorted(VAL.glob("*.png"))[:3]
    (tmp_path / "list.txt").write_text("".join(f"{p}\n" for p in images))
    r = cli("batch", tmp_path / "list.txt", "--out", tmp_path / "out", "--model", model, "--workers", "1",
            "--quiet")
    assert r.returncode == 0, r.stderr
    masks = sorted((tmp_path / "out" / "masks").rglob("*.png"))
    assert len(masks) == 3
    for m in masks:
        ref = YOLO26 / "ref-val-320" / "sem" / f"{m.stem.rsplit('-', 1)[0]}.png"  # masks/NAME-HASH.png
        assert (np.asarray(Image.open(m)) == np.asarray(Image.open(ref))).mean() >= 0.995


@pytest.mark.parametrize("name", ["yolo26n-seg-camvid-320.onnx", "yolo26n-seg-e2e-camvid-320.onnx",
                                  "yolo26n-sem-camvid-320.onnx"])
def test_segmenter_single_image_list_and_stream(tmp_path, name):
    import pixelwise as pw

    seg = pw.Segmenter(_export(name), threads=1)
    one = seg(IMAGE)
    rgb = np.asarray(Image.open(IMAGE).convert("RGB"))
    again = seg([rgb])[0]  # an RGB array gives the same answer as the path
    assert (one.semantic == again.semantic).all() and len(one.instances) == len(again.instances)
    for p in sorted(VAL.glob("*.png"))[:2]:
        (tmp_path / p.name).symlink_to(p)
    frames = list(seg.stream(tmp_path, workers=1))
    assert [r.frame_index for r in frames] == [0, 1] and all(r.semantic.shape == (360, 480) for r in frames)
