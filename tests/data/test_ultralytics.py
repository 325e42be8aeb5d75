"""Datasets in Ultralytics' layouts: read from their data YAML unchanged, written by convert, read back the same."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from PIL import Image

from pixelwise.data.config import load_dataset_config
from pixelwise.data.formats import read_split, write_dataset
from pixelwise.errors import DatasetError
from tests.builders import make_mask_dataset

ULTRALYTICS_KEYS = ("path", "train", "val", "test", "names", "nc", "masks_dir", "label_mapping")


def semantic_dataset(root, names=("red", "green", "blue"), n=2, hw=(24, 32), mask_values=None, seed=0):
    """An Ultralytics semantic dataset: images/{train,val} + masks/{train,val}; returns the true class maps."""
    rng = np.random.default_rng(seed)
    truth = {}
    for split in ("train", "val"):
        for i in range(n):
            ids = rng.integers(0, len(names), hw).astype(np.uint8)
            ids[:3, :3] = 255  # some ignored pixels
            img = np.zeros((*hw, 3), np.uint8)
            for c in range(min(3, len(names))):
                img[ids == c, c] = 250
            stored = ids if mask_values is None else mask_values[ids]
            for sub, arr in (("images", img), ("masks", stored)):
                (root / sub / split).mkdir(parents=True, exist_ok=True)
                Image.fromarray(arr).save(root / sub / split / f"{split}{i}.png")
            truth[f"{split}{i}.png"] = ids
    return truth


def _write(path, doc):
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _maps(cfg, split="val", fill=255):
    return {s.image.name: s.semantic_map(fill) for s in read_split(cfg, split).samples}


@pytest.mark.parametrize("names", [{0: "red", 1: "green", 2: "blue"}, ["red", "green", "blue"]])
def test_semantic_yaml_as_ultralytics_writes_it(tmp_path, names):
    truth = semantic_dataset(tmp_path / "ds")
    y = _write(tmp_path / "ds" / "data.yaml", {"path": str(tmp_path / "ds"), "train": "images/train",
                                                "val": "images/val", "masks_dir": "masks", "names": names})
    cfg = load_dataset_config(y)
    assert cfg.layout == "ultralytics" and cfg.format == "masks" and cfg.ignore_index == 255
    assert cfg.classes == ("red", "green", "blue")
    maps = _maps(cfg)
    assert maps.keys() == {k for k in truth if k.startswith("val")}
    for name, m in maps.items():
        assert (m == truth[name]).all()


def test_label_mapping_and_ignore_label(tmp_path):
    source = np.full(256, 99, np.uint8)  # stored mask values: class c is stored as 7 + c; 255 stays 255
    source[:3] = [7, 8, 9]
    source[255] = 255
    truth = semantic_dataset(tmp_path / "ds", mask_values=source)
    mask = tmp_path / "ds" / "masks" / "val" / "val0.png"
    arr = np.asarray(Image.open(mask)).copy()
    arr[5, 5] = 4  # a source id mapped to ignore_label
    Image.fromarray(arr).save(mask)
    y = _write(tmp_path / "ds" / "data.yaml", {
        "train": "images/train", "val": "images/val", "masks_dir": "masks", "names": ["red", "green", "blue"],
        "label_mapping": {-1: "ignore_label", 4: "ignore_label", 7: 0, 8: 1, 9: 2}})
    maps = _maps(load_dataset_config(y))
    expected = truth["val0.png"].copy()
    expected[5, 5] = 255
    assert (maps["val0.png"] == expected).all() and (maps["val1.png"] == truth["val1.png"]).all()
    arr[6, 6] = 50  # a value neither mapped nor a class id: refused, naming the mask
    Image.fromarray(arr).save(mask)
    with pytest.raises(DatasetError, match=r"val0.png: label values \[50\] are not class ids 0-2"):
        _maps(load_dataset_config(y))


def test_path_resolution(tmp_path, monkeypatch):
    semantic_dataset(tmp_path / "data" / "ds")
    doc = {"train": "images/train", "val": "images/val", "masks_dir": "masks", "names": ["r", "g", "b"]}
    (tmp_path / "cfg").mkdir()
    monkeypatch.chdir(tmp_path)  # relative to the working directory, as Ultralytics resolves it
    cfg = load_dataset_config(_write(tmp_path / "cfg" / "a.yaml", {"path": "data/ds", **doc}))
    assert cfg.root == tmp_path / "data" / "ds"
    cfg = load_dataset_config(_write(tmp_path / "data" / "b.yaml", {"path": "ds", **doc}))  # or to the YAML
    assert cfg.root == tmp_path / "data" / "ds"
    cfg = load_dataset_config(_write(tmp_path / "data" / "ds" / "c.yaml", doc))  # no path: the YAML's folder
    assert cfg.root == tmp_path / "data" / "ds"
    monkeypatch.setenv("YOLO_CONFIG_DIR", str(tmp_path / "settings"))
    with pytest.raises(DatasetError, match=r"d.yaml: dataset path 'ds' holds no images/train"):
        load_dataset_config(_write(tmp_path / "cfg" / "d.yaml", {"path": "ds", **doc}))
    (tmp_path / "settings" / "Ultralytics").mkdir(parents=True)  # Ultralytics' own datasets_dir setting
    (tmp_path / "settings" / "Ultralytics" / "settings.json").write_text(json.dumps({"datasets_dir": str(
        tmp_path / "data")}))
    assert load_dataset_config(tmp_path / "cfg" / "d.yaml").root == tmp_path / "data" / "ds"


def _yolo_dataset(root, lines, names):
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(root / "images" / split / "a.jpg")
        (root / "labels" / split / "a.txt").write_text(lines)
    return _write(root / "data.yaml", {"path": str(root), "train": "images/train", "val": "images/val",
                                       "names": names})


def test_yolo_seg_yaml_gets_ultralytics_background_rule(tmp_path):
    y = _yolo_dataset(tmp_path / "two", "1 0 0 0.5 0 0.5 1 0 1\n0 0.5 0 1 0 1 0.5 0.5 0.5\n", {0: "cat", 1: "dog"})
    cfg = load_dataset_config(y)
    assert cfg.format == "yolo" and cfg.classes == ("cat", "dog", "background") and cfg.background == 2
    m = _maps(cfg)["a.jpg"]
    assert (m[:, :20] == 1).all() and (m[:10, 21:] == 0).all() and (m[11:, 21:] == 2).all()
    y = _yolo_dataset(tmp_path / "one", "0 0 0 0.5 0 0.5 1 0 1\n", ["dog"])  # one class: background after it
    cfg = load_dataset_config(y)
    assert cfg.classes == ("dog", "background")
    m = _maps(cfg)["a.jpg"]
    assert (m[:, :20] == 0).all() and (m[:, 21:] == 1).all()
    out = write_dataset({"val": read_split(cfg, "val")}, "yolo", tmp_path / "again")
    assert yaml.safe_load(out.read_text())["names"] == {0: "dog"}  # Ultralytics adds its background itself
    again = load_dataset_config(_ultralytics_only(out))
    assert again.classes == ("dog", "background") and (_maps(again)["a.jpg"] == m).all()
    assert load_dataset_config(out).background == 1
    y = _yolo_dataset(tmp_path / "own", "0 0 0 0.5 0 0.5 1 0 1\n", ["dog", "background"])  # its own background
    cfg = load_dataset_config(y)
    assert cfg.classes == ("dog", "background") and cfg.background == 1


def test_split_lists_and_list_files(tmp_path):
    semantic_dataset(tmp_path / "ds")
    (tmp_path / "ds" / "val.txt").write_text("./images/val/val0.png\nimages/train/train1.png\n")
    base = {"path": str(tmp_path / "ds"), "masks_dir": "masks", "names": ["r", "g", "b"]}
    cfg = load_dataset_config(_write(tmp_path / "a.yaml", {**base, "train": ["images/train", "images/val"],
                                                           "val": "images/val"}))
    assert len(read_split(cfg, "train").samples) == 4
    yolo_root = tmp_path / "y"
    _yolo_dataset(yolo_root, "0 0 0 1 0 1 1\n", ["a", "b"])
    (yolo_root / "val.txt").write_text("./images/val/a.jpg\n")
    cfg = load_dataset_config(_write(yolo_root / "l.yaml", {"train": "images/train", "val": "val.txt",
                                                            "names": ["a", "b"]}))
    assert [s.image.name for s in read_split(cfg, "val").samples] == ["a.jpg"]


@pytest.mark.parametrize("doc, message", [
    ({"names": "cat", "val": "images/val"}, "'classes' must be a non-empty list"),
    ({"names": ["a", "b"], "nc": 3, "val": "images/val"}, "'names' has 2 entries but 'nc' is 3"),
    ({"names": {0: "a", 2: "b"}, "val": "images/val"}, "without gaps"),
    ({"names": ["a"]}, "needs 'train' or 'val'"),
    ({"names": ["a"], "val": 5}, "'val' entry: expected a non-empty string"),
    ({"names": ["a"], "val": "images/val", "masks_dir": "masks", "label_mapping": [1, 2]}, "'label_mapping'"),
    ({"names": ["a"], "val": "images/val", "masks_dir": "masks", "label_mapping": {"x": 0}}, "mask value"),
    ({"names": ["a"], "val": "images/val", "masks_dir": "masks", "label_mapping": {1: 3}}, "class id 3 outside"),
])
def test_bad_ultralytics_yaml(tmp_path, doc, message):
    semantic_dataset(tmp_path)
    with pytest.raises(DatasetError, match=message):
        load_dataset_config(_write(tmp_path / "bad.yaml", doc))


def _ultralytics_only(yaml_path):
    """The data.yaml written beside dataset.yaml: Ultralytics' keys alone, the same as in dataset.yaml."""
    doc = yaml.safe_load(yaml_path.read_text())
    data = yaml.safe_load(yaml_path.with_name("data.yaml").read_text())
    assert "format" in doc and "path" not in doc and "path" not in data  # Ultralytics then uses the YAML's folder
    assert set(data) <= set(ULTRALYTICS_KEYS) and data == {k: v for k, v in doc.items() if k in ULTRALYTICS_KEYS}
    return yaml_path.with_name("data.yaml")


def test_convert_to_masks_is_an_ultralytics_semantic_dataset(tmp_path):
    src = make_mask_dataset(tmp_path / "src", n=2, hw=(30, 40))
    lab = tmp_path / "src" / "val" / "labels" / "val0.png"
    arr = np.asarray(Image.open(lab)).copy()
    arr[:4, :4] = 7  # the source's own ignore value: written as Ultralytics' 255
    Image.fromarray(arr).save(lab)
    src.write_text(src.read_text().replace("ignore_index: 255", "ignore_index: 7"))
    cfg = load_dataset_config(src)
    out = write_dataset({k: read_split(cfg, k) for k in ("train", "val")}, "masks", tmp_path / "out")
    assert (tmp_path / "out" / "images" / "val" / "val0.png").is_file()
    assert (tmp_path / "out" / "masks" / "val" / "val0.png").is_file()
    back = load_dataset_config(_ultralytics_only(out))
    assert back.layout == "ultralytics" and back.classes == ("bg", "fg")
    for name, m in _maps(cfg, fill=7).items():
        expected = np.where(m == 7, 255, m)
        assert (_maps(back)[name] == expected).all()
    assert load_dataset_config(out).ignore_index == 255  # pixelwise's own keys agree


def test_convert_to_yolo_is_an_ultralytics_seg_dataset(tmp_path):
    src = make_mask_dataset(tmp_path / "src", n=2, hw=(40, 56))
    cfg = load_dataset_config(src)
    out = write_dataset({k: read_split(cfg, k) for k in ("train", "val")}, "yolo", tmp_path / "out")
    doc = yaml.safe_load(out.read_text())
    assert doc["train"] == "images/train" and doc["val"] == "images/val" and doc["names"] == {0: "bg", 1: "fg"}
    for split in ("train", "val"):  # Ultralytics' rules: a label file per image, class + >= 3 normalised points
        for img in (tmp_path / "out" / "images" / split).iterdir():
            rows = (tmp_path / "out" / "labels" / split / f"{img.stem}.txt").read_text().splitlines()
            assert rows
            for row in rows:
                cls, *xy = row.split()
                assert int(cls) in (0, 1) and len(xy) % 2 == 0 and len(xy) >= 6
                assert all(0.0 <= float(v) <= 1.0 for v in xy)
    back = load_dataset_config(_ultralytics_only(out))
    assert back.classes == ("bg", "fg", "background")
    ref, got = _maps(cfg), _maps(back)
    for name, m in ref.items():
        fg, bfg = m == 1, got[name] == 1
        assert (fg & bfg).sum() / (fg | bfg).sum() >= 0.98
    assert load_dataset_config(out).classes == ("bg", "fg")  # pixelwise's own keys: the classes as they were


def test_train_and_convert_read_an_ultralytics_yaml(cli, tmp_path):
    semantic_dataset(tmp_path / "ds", n=2, hw=(32, 48))
    y = _write(tmp_path / "ds" / "data.yaml", {"train": "images/train", "val": "images/val", "masks_dir": "masks",
                                                "names": {0: "red", 1: "green", 2: "blue"}})
    r = cli("convert", y, "--to", "coco", "--out", tmp_path / "coco")
    assert r.returncode == 0 and "train: 2 images, val: 2 images" in r.stdout, r.stderr
    r = cli("train", "--data", y, "--out", tmp_path / "run", "--epochs", "1", "--batch", "2", "--crop", "32x48",
            "--net", "small", "--threads", "1", "--val-every", "1")
    assert r.returncode == 0, r.stderr


def test_roboflow_style_export(tmp_path):
    """A Roboflow export: data.yaml beside train/images, paths given as ../train/images, nc + a names list."""
    root = tmp_path / "export"
    for split in ("train", "valid"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        Image.fromarray(np.zeros((20, 40, 3), np.uint8)).save(root / split / "images" / "a.jpg")
        (root / split / "labels" / "a.txt").write_text("0 0 0 0.5 0 0.5 1 0 1\n")
    _write(root / "data.yaml", {"train": "../train/images", "val": "../valid/images", "nc": 1, "names": ["crack"]})
    cfg = load_dataset_config(root)  # a folder holding data.yaml works too
    assert cfg.val == root / "valid" / "images" and cfg.classes == ("crack", "background")
    assert (_maps(cfg)["a.jpg"][:, :20] == 0).all()
