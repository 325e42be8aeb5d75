"""The shared validation layer: unit cases, and every leaf of every reader's input swapped for hostile values."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from pixelwise.data import checks
from pixelwise.data.config import load_dataset_config
from pixelwise.data.formats import read_split
from pixelwise.errors import DatasetError

HOSTILE = [None, True, False, "x", "", float("nan"), float("inf"), -1e30, 1e30, -1, 0, 2.5, [], {}, [[1]], {"a": 1}]


@pytest.mark.parametrize("value, ok", [
    (3, True), (3.5, True), (-1e-3, True), (True, False), (None, False), ("3", False), (float("nan"), False),
    (float("inf"), False), (float("-inf"), False), ([1], False), ({}, False),
])
def test_number(value, ok):
    if ok:
        assert checks.number(value, "f.json", "x") == float(value)
    else:
        with pytest.raises(DatasetError, match=r"^f.json: x: expected a finite number, got "):
            checks.number(value, "f.json", "x")


@pytest.mark.parametrize("value, ok", [(3, True), (3.0, True), ("3", True), (3.5, False), (True, False),
                                       ("nan", False), ("1e400", False), (-1, False), (11, False)])
def test_integer_from_text_with_range(value, ok):
    if ok:
        assert checks.integer(value, "f.txt:2", "id", 0, 10, from_text=True) == 3
    else:
        with pytest.raises(DatasetError, match=r"^f.txt:2: id: expected an integer in \[0, 10\]"):
            checks.integer(value, "f.txt:2", "id", 0, 10, from_text=True)


def test_polygon_rules():
    pts = checks.polygon([0, 0, 10, 0, 10.5, 5], (5, 10), "w")
    assert pts.dtype == np.float32 and pts[2].tolist() == [10.0, 5.0]  # clipped within the 1 px tolerance
    for values, message in [([0, 0, 1, 1], "at least 3 points"), ([0, 0, 1, 1, 2], "at least 3 points"),
                            ([0, 0, 1, 1, 12, 1], "point 2 .* outside the 5x10"), ("0 0 1 1 2 2", "a list"),
                            ([0, 0, 1, 1, 2, None], "coordinate 5"), ([0, 0, 1, 1, 2, float("nan")], "finite")]:
        with pytest.raises(DatasetError, match=message):
            checks.polygon(values, (5, 10), "w")


def test_rle_round_trip_and_refusals():
    from pixelwise.ops.masks import encode_rle

    m = np.zeros((6, 7), bool)
    m[1:4, 2:5] = True
    rle = encode_rle(m[None])[0]
    assert checks.rle(dict(rle), (6, 7), "w") == {"size": [6, 7], "counts": rle["counts"]}
    assert checks.rle({"size": [6, 7], "counts": [10, 32]}, (6, 7), "w")["counts"]  # uncompressed
    for seg, message in [({"size": [6, 7], "counts": "garbage!!"}, "not a valid COCO RLE"),
                         ({"size": [6, 7], "counts": "zz"}, "not a valid COCO RLE"),
                         ({"size": [6, 7], "counts": 5}, "a COCO RLE string"),
                         ({"size": [6, 7], "counts": [10, -1, 33]}, "RLE count"),
                         ({"size": [7, 6], "counts": [42]}, "RLE size"), ({"counts": [42]}, "'size'")]:
        with pytest.raises(DatasetError, match=message):
            checks.rle(seg, (6, 7), "w")


def test_files_that_are_not_regular_or_not_utf8(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(DatasetError, match="pipe.json: annotation file is not a regular file"):
        checks.load_json(fifo)  # refused before opening: a FIFO would block
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(DatasetError, match="dir.json: annotation file is not a regular file"):
        checks.load_json(tmp_path / "dir.json")
    (tmp_path / "latin.txt").write_bytes(b"ok\ncaf\xe9\n")
    with pytest.raises(DatasetError, match=r"latin.txt:2: file is not UTF-8 text \(byte 0xe9"):
        checks.read_text(tmp_path / "latin.txt")
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf{\"a\": 1}")
    assert checks.load_json(tmp_path / "bom.json") == {"a": 1}
    (tmp_path / "deep.json").write_text("[" * 100000)
    with pytest.raises(DatasetError, match="deep.json"):
        checks.load_json(tmp_path / "deep.json")


def _leaves(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    if path:
        yield path


def _replaced(doc, path, value):
    doc = json.loads(json.dumps(doc))
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return doc


def _assert_clean(cfg, named: str) -> int:
    """read_split either works or raises a DatasetError naming the file; never any other exception."""
    try:
        for s in read_split(cfg, "val").samples:
            s.semantic_map(255)
    except DatasetError as exc:
        assert named in str(exc) and "\n" not in str(exc), str(exc)
        assert "unreadable" not in str(exc), f"only the last-resort net caught: {exc}"
        return 1
    return 0


def test_every_coco_leaf_with_hostile_values(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": 20, "width": 30}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "score": 0.5,
                            "segmentation": [[1, 1, 10, 1, 10, 10]]},
                           {"id": 2, "image_id": 1, "category_id": 1, "segmentation": {"size": [20, 30],
                                                                                    "counts": [10, 5, 585]}}],
           "categories": [{"id": 1, "name": "car"}]}
    (tmp_path / "d.yaml").write_text("format: coco\nroot: .\nval: c.json\nclasses: [car]\n")
    cfg = load_dataset_config(tmp_path / "d.yaml")
    refused = 0
    cases = [(p, v) for p in _leaves(doc) for v in HOSTILE]
    for path, value in cases:
        (tmp_path / "c.json").write_text(json.dumps(_replaced(doc, path, value)))
        refused += _assert_clean(cfg, "c.json")
    assert refused > len(cases) // 2


def test_every_labelme_leaf_with_hostile_values(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    doc = {"shapes": [{"label": "car", "points": [[1, 1], [10, 1], [10, 10]], "shape_type": "polygon"},
                      {"label": "car", "points": [[1, 1], [5, 5]], "shape_type": "rectangle"}],
           "imagePath": "a.png", "imageHeight": 20, "imageWidth": 30}
    (tmp_path / "d.yaml").write_text("format: labelme\nroot: .\nval: .\nclasses: [car]\n")
    cfg = load_dataset_config(tmp_path / "d.yaml")
    for path, value in [(p, v) for p in _leaves(doc) for v in HOSTILE]:
        (tmp_path / "a.json").write_text(json.dumps(_replaced(doc, path, value)))
        _assert_clean(cfg, "a.json")


def test_every_yaml_value_with_hostile_values(tmp_path):
    import yaml

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "labels" / "a.png")
    docs = [{"format": "masks", "root": ".", "val": "images", "ignore_index": 255, "things": ["car"],
             "label_mapping": {3: 1}, "classes": [{"id": 0, "name": "bg", "colour": [1, 2, 3]}, "car"]},
            {"path": str(tmp_path), "val": "images", "masks_dir": "labels", "names": {0: "bg", 1: "car"},
             "label_mapping": {3: "ignore_label"}}]
    for doc in docs:
        for path, value in [(p, v) for p in _leaves(doc) for v in HOSTILE]:
            (tmp_path / "d.yaml").write_text(yaml.safe_dump(_replaced(doc, path, value)))
            try:
                cfg = load_dataset_config(tmp_path / "d.yaml")
            except DatasetError as exc:
                assert "d.yaml" in str(exc), str(exc)
                continue
            _assert_clean(cfg, "")


def test_the_last_resort_net_names_the_file(tmp_path, monkeypatch, capsys):
    from pixelwise.cli.main import main
    from pixelwise.data.formats import yolo

    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    (tmp_path / "d.yaml").write_text("format: yolo\nroot: .\nval: images\nclasses: [a]\n")

    def broken(*args):  # a reader bug nobody foresaw
        raise KeyError("surprise")

    monkeypatch.setattr(yolo, "read", broken)
    code = main(["convert", str(tmp_path / "d.yaml"), "--to", "coco", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and f"{tmp_path / 'images'}: unreadable yolo data (KeyError: 'surprise')" in err


def test_messages_stay_one_line_whatever_the_file_holds(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": 20, "width": 30},
                      {"id": 2, "file_name": "x\ny.png", "height": 20, "width": 30}],
           "annotations": [{"id": "7\nFAKE LINE", "image_id": 1, "category_id": 1, "segmentation": "bad"}],
           "categories": [{"id": 1, "name": "car"}]}
    (tmp_path / "c.json").write_text(json.dumps(doc))
    (tmp_path / "d.yaml").write_text("format: coco\nroot: .\nval: c.json\nclasses: [car]\n")
    cfg = load_dataset_config(tmp_path / "d.yaml")
    with pytest.raises(DatasetError) as err:
        read_split(cfg, "val")
    assert "\n" not in str(err.value) and "x\\ny.png" in str(err.value)
    ds = read_split(cfg, "val", skip_bad=True)
    assert len(ds.skipped) == 2 and all(m.isprintable() for m in ds.skipped)
    assert any("7\\nFAKE LINE" in m for m in ds.skipped)
