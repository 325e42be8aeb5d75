"""`pixelwise val` on an Ultralytics data YAML, and `val --out` with and without matplotlib."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import yaml
from PIL import Image

from pixelwise.cli.main import main

HW = (64, 96)


def _bands(root, label_values=(0, 1, 2)):
    """Ultralytics semantic layout: images of three vertical colour bands, masks of their class ids."""
    img = np.zeros((*HW, 3), np.uint8)
    ids = np.zeros(HW, np.uint8)
    for c in range(3):
        img[:, 32 * c : 32 * (c + 1), c] = 240
        ids[:, 32 * c : 32 * (c + 1)] = label_values[c]
    ids[:4] = 255  # an ignored strip
    for split in ("train", "val"):
        for sub, arr in (("images", img), ("masks", ids)):
            (root / sub / split).mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr).save(root / sub / split / "a.png")


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("names", [{0: "red", 1: "green", 2: "blue"}, ["red", "green", "blue"]])
def test_val_on_an_ultralytics_semantic_yaml(tmp_path, rgb_model, capsys, names):
    _bands(tmp_path / "ds")
    y = tmp_path / "ds" / "data.yaml"
    y.write_text(yaml.safe_dump({"path": str(tmp_path / "ds"), "train": "images/train", "val": "images/val",
                                 "masks_dir": "masks", "names": names}))
    code, out, err = _run(capsys, "val", "--data", y, "--model", rgb_model, "--threads", "1",
                          "--json", tmp_path / "m.json")
    assert code == 0, err
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["images"] == 1 and doc["miou"] > 99.0, doc
    assert "mIoU" in out


def test_val_with_label_mapping_gives_the_same_scores(tmp_path, rgb_model, capsys):
    _bands(tmp_path / "ds", label_values=(24, 25, 26))
    y = tmp_path / "ds" / "data.yaml"
    y.write_text(yaml.safe_dump({"path": str(tmp_path / "ds"), "train": "images/train", "val": "images/val",
                                 "masks_dir": "masks", "names": ["red", "green", "blue"],
                                 "label_mapping": {24: 0, 25: 1, 26: 2}}))
    code, _, err = _run(capsys, "val", "--data", y, "--model", rgb_model, "--threads", "1",
                        "--json", tmp_path / "m.json")
    assert code == 0, err
    assert json.loads((tmp_path / "m.json").read_text())["miou"] > 99.0
    doc = yaml.safe_load(y.read_text())
    del doc["label_mapping"]  # unmapped: ids 24-26 are refused, naming the mask
    y.write_text(yaml.safe_dump(doc))
    code, _, err = _run(capsys, "val", "--data", y, "--model", rgb_model, "--threads", "1")
    assert code == 2 and "a.png: label values [24, 25, 26] are not class ids 0-2" in err


def _dataset(tmp_path):
    _bands(tmp_path / "ds")
    y = tmp_path / "ds" / "data.yaml"
    y.write_text(yaml.safe_dump({"train": "images/train", "val": "images/val", "masks_dir": "masks",
                                 "names": ["red", "green", "blue"]}))
    return y


def test_val_out_without_matplotlib_writes_metrics_and_names_the_extra(tmp_path, rgb_model, capsys, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as in the plain install: import fails
    out = tmp_path / "out"
    code, stdout, err = _run(capsys, "val", "--data", _dataset(tmp_path), "--model", rgb_model, "--threads", "1",
                             "--out", out)
    assert code == 0, err
    assert json.loads((out / "metrics.json").read_text())["miou"] > 99.0
    assert not (out / "confusion.png").exists() and not (out / "iou.png").exists()
    assert "pixelwise[train]" in stdout and "matplotlib" in stdout


def test_val_out_with_matplotlib_writes_the_plots(tmp_path, rgb_model, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    code, _, err = _run(capsys, "val", "--data", _dataset(tmp_path), "--model", rgb_model, "--threads", "1",
                        "--out", out)
    assert code == 0, err
    for name in ("metrics.json", "confusion.png", "iou.png"):
        assert (out / name).stat().st_size > 0
    with Image.open(out / "confusion.png") as im:
        assert im.size[0] > 50


@pytest.mark.parametrize("body, message", [
    ("format: masks\nroot: .\nval: [a, b]\nclasses: [red, green, blue]\n", "'val': expected one path"),
    ("format: masks\nroot: .\nval: images/val\nignore_index: abc\nclasses: [red, green, blue]\n", "'ignore_index'"),
    ("format: masks\nroot: .\nval: images/val\nclasses: [{name: red, colour: red}, green, blue]\n", "'colour'"),
])
def test_val_refuses_a_bad_yaml_in_one_line(tmp_path, rgb_model, capsys, body, message):
    _bands(tmp_path)
    (tmp_path / "bad.yaml").write_text(body)
    code, _, err = _run(capsys, "val", "--data", tmp_path / "bad.yaml", "--model", rgb_model)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "bad.yaml" in lines[0] and message in lines[0], err


def test_val_on_an_ultralytics_yolo_seg_yaml(tmp_path, rgb_model, capsys):
    """Polygons for the red and green bands; the blue band is uncovered, so it is the appended background."""
    root = tmp_path / "ds"
    img = np.zeros((*HW, 3), np.uint8)
    for c in range(3):
        img[:, 32 * c : 32 * (c + 1), c] = 240
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        Image.fromarray(img).save(root / "images" / split / "a.png")
        (root / "labels" / split / "a.txt").write_text("0 0 0 0.333 0 0.333 1 0 1\n1 0.334 0 0.666 0 0.666 1 0.334 1\n")
    y = root / "data.yaml"
    y.write_text(yaml.safe_dump({"path": str(root), "train": "images/train", "val": "images/val",
                                 "names": ["red", "green", "blue"]}))
    code, _, err = _run(capsys, "val", "--data", y, "--model", rgb_model, "--threads", "1",
                        "--json", tmp_path / "m.json")
    assert code == 0, err
    iou = json.loads((tmp_path / "m.json").read_text())["iou"]
    assert list(iou) == ["red", "green", "blue", "background"]
    assert iou["red"] > 90 and iou["green"] > 90 and iou["background"] == 0.0  # the model has no background
