"""`pixelwise convert` on hostile input: every bad file is exit 2 with one line naming the file and record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixelwise.cli.main import main

HW = (20, 30)


def _png(path: Path, hw: tuple[int, int] = HW) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((*hw, 3), np.uint8)).save(path)


def _yaml(root: Path, body: str) -> Path:
    (root / "d.yaml").write_text(body)
    return root / "d.yaml"


# --- one valid dataset per format; each case breaks one thing -------------------------------

def _coco_doc() -> dict:
    return {"images": [{"id": 1, "file_name": "a.png", "height": HW[0], "width": HW[1]}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[1, 1, 10, 1, 10, 10]]}],
            "categories": [{"id": 1, "name": "car"}]}


def coco(root: Path, edit=None, raw: bytes | None = None) -> tuple[Path, Path]:
    _png(root / "a.png")
    doc = _coco_doc()
    if edit:
        edit(doc)
    (root / "c.json").write_bytes(raw if raw is not None else json.dumps(doc).encode())
    return _yaml(root, "format: coco\nroot: .\ntrain: c.json\nval: c.json\nclasses: [car]\n"), root / "c.json"


def labelme(root: Path, edit=None, raw: bytes | None = None) -> tuple[Path, Path]:
    _png(root / "lm" / "a.png")
    doc = {"shapes": [{"label": "car", "points": [[1, 1], [10, 1], [10, 10]], "shape_type": "polygon"}],
           "imagePath": "a.png", "imageHeight": HW[0], "imageWidth": HW[1]}
    if edit:
        doc = edit(doc) or doc
    (root / "lm" / "a.json").write_bytes(raw if raw is not None else json.dumps(doc).encode())
    return _yaml(root, "format: labelme\nroot: .\ntrain: lm\nval: lm\nclasses: [car]\n"), root / "lm" / "a.json"


def yolo(root: Path, line: str | bytes = "0 0.1 0.1 0.5 0.1 0.5 0.5\n") -> tuple[Path, Path]:
    _png(root / "images" / "val" / "a.png")
    txt = root / "labels" / "val" / "a.txt"
    txt.parent.mkdir(parents=True)
    txt.write_bytes(line if isinstance(line, bytes) else line.encode())
    body = "format: yolo\nroot: .\nval: images/val\nclasses: [bg, car]\n"
    return _yaml(root, body), txt


def cvat(root: Path, image_attrs: str = 'height="20" width="30"',
         shape: str = '<polygon label="car" points="1,1;10,1;10,10"/>', raw: bytes | None = None) -> tuple[Path, Path]:
    _png(root / "a.png")
    xml = (f'<annotations><version>1.1</version><meta><task><labels><label><name>car</name></label></labels>'
           f'</task></meta><image id="0" name="a.png" {image_attrs}>{shape}</image></annotations>')
    (root / "c.xml").write_bytes(raw if raw is not None else xml.encode())
    return _yaml(root, "format: cvat\nroot: .\ntrain: c.xml\nval: c.xml\nclasses: [car]\n"), root / "c.xml"


def voc(root: Path, stems: bytes = b"a\n", label: np.ndarray | bytes | None = None) -> tuple[Path, Path]:
    _png(root / "JPEGImages" / "a.png")
    (root / "SegmentationClass").mkdir()
    lab = root / "SegmentationClass" / "a.png"
    if isinstance(label, bytes):
        lab.write_bytes(label)
    else:
        Image.fromarray(label if label is not None else np.zeros(HW, np.uint8)).save(lab)
    (root / "ImageSets" / "Segmentation").mkdir(parents=True)
    lst = root / "ImageSets" / "Segmentation" / "val.txt"
    lst.write_bytes(stems)
    return _yaml(root, "format: voc\nroot: .\nval: val\nclasses: [bg, car]\n"), (lab if label is not None else lst)


def config(root: Path, body: str | bytes, label: np.ndarray | None = None) -> tuple[Path, Path]:
    _png(root / "images" / "a.png")
    (root / "labels").mkdir()
    Image.fromarray(np.zeros(HW, np.uint8) if label is None else label).save(root / "labels" / "a.png")
    path = root / "d.yaml"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return path, (path if label is None else root / "labels" / "a.png")


GOOD_YAML = "format: masks\nroot: .\nval: images\nclasses: [bg, car]\n"
NAN = float("nan")


def _set(path: str, value):  # edit one leaf of a COCO document: "images.0.height"
    def edit(doc):
        *keys, last = path.split(".")
        node = doc
        for k in keys:
            node = node[int(k) if k.isdigit() else k]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return edit


_DELETE = object()

CASES = {
    # the cases of the issue
    "coco category without name": (coco, {"edit": _set("categories.0.name", _DELETE)}, r"categories\[0\]: .*'name'"),
    "coco image without height": (coco, {"edit": _set("images.0.height", _DELETE)}, r"image id 1: .*'height'"),
    "coco garbage RLE": (coco, {"edit": _set("annotations.0.segmentation", {"size": list(HW), "counts": "garbage!!"})},
                         r"annotation id 1: segmentation: RLE counts"),
    "coco RLE that decodes short": (coco, {"edit": _set("annotations.0.segmentation",
                                                       {"size": list(HW), "counts": "zzzz"})}, "not a valid COCO RLE"),
    "labelme without imageHeight": (labelme, {"edit": _set("imageHeight", _DELETE)}, "'imageHeight'"),
    "labelme top level is a list": (labelme, {"edit": lambda d: [d]}, "expected a mapping"),
    "yaml val is a list": (config, {"body": GOOD_YAML.replace("val: images", "val: [images, images]")},
                           "'val': expected one path"),
    "yaml ignore_index abc": (config, {"body": GOOD_YAML + "ignore_index: abc\n"},
                              "'ignore_index': expected an integer"),
    "yaml colour red": (config, {"body": GOOD_YAML.replace("[bg, car]", "[{name: bg, colour: red}, car]")},
                        r"classes\[0\]: 'colour': expected \[R, G, B\]"),
    "cvat malformed xml": (cvat, {"raw": b"<annotations><image"}, "malformed CVAT XML"),
    "cvat height not a number": (cvat, {"image_attrs": 'height="abc" width="30"'}, "image height: expected an integer"),
    "voc label is not a PNG": (voc, {"label": b"not a png"}, "cannot read label"),
    # NaN, inf, non-numbers
    "yolo NaN": (yolo, {"line": "0 nan nan 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: polygon coordinate 0: .*finite"),
    "yolo inf": (yolo, {"line": "0 0.1 inf 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: .*finite"),
    "yolo word": (yolo, {"line": "0 0.1 abc 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: .*'abc'"),
    "yolo class 1.5": (yolo, {"line": "1.5 0.1 0.1 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: class id"),
    "yolo class -1": (yolo, {"line": "-1 0.1 0.1 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: class id -1 outside"),
    "yolo class 7": (yolo, {"line": "7 0.1 0.1 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: class id 7 outside the 2"),
    "yolo huge coordinate": (yolo, {"line": "1 0.1 0.1 1e30 0.1 0.5 0.5\n"}, r"a.txt:1: polygon point 1 .*outside"),
    "yolo negative coordinate": (yolo, {"line": "1 -3 0.1 0.5 0.1 0.5 0.5\n"}, r"a.txt:1: polygon point 0"),
    "yolo one point": (yolo, {"line": "1 0.1 0.1 0.5 0.1 0.5 0.5\n1 0.1 0.2\n"}, r"a.txt:2: polygon needs at least 3"),
    "yolo odd count": (yolo, {"line": "1 0.1 0.1 0.5 0.5 0.3 0.3 0.9\n"}, r"a.txt:1: polygon needs"),
    "yolo not utf8": (yolo, {"line": b"1 0.1 0.1 0.5 0.1 0.5 0.5\n\xff\xfe\n"}, r"a.txt:2: label file is not UTF-8"),
    "coco NaN height": (coco, {"raw": json.dumps(_coco_doc()).replace('"height": 20', '"height": NaN').encode()},
                        "image height: expected an integer"),
    "coco NaN polygon": (coco, {"edit": _set("annotations.0.segmentation.0.2", NAN)}, "finite number"),
    "coco bool height": (coco, {"edit": _set("images.0.height", True)}, r"image height: .*True \(bool\)"),
    "coco string height": (coco, {"edit": _set("images.0.height", "20")}, r"image height: .*'20' \(string\)"),
    "coco huge height": (coco, {"edit": _set("images.0.height", 10**12)}, "image height: expected an integer in"),
    "coco size differs from the image": (coco, {"edit": _set("images.0.height", 40)}, "declares a 40x30 image"),
    "coco polygon of 2 points": (coco, {"edit": _set("annotations.0.segmentation", [[1, 1, 5, 5]])},
                                 "at least 3 points"),
    "coco polygon is a number": (coco, {"edit": _set("annotations.0.segmentation", [7])}, "polygon: expected a list"),
    "coco segmentation is a string": (coco, {"edit": _set("annotations.0.segmentation", "abc")}, "'segmentation'"),
    "coco category id is a string": (coco, {"edit": _set("annotations.0.category_id", "1")}, "'category_id'"),
    "coco images is a mapping": (coco, {"edit": _set("images", {})}, "'images': expected a list"),
    "coco RLE of another size": (coco, {"edit": _set("annotations.0.segmentation", {"size": [5, 5], "counts": [25]})},
                                 "RLE size"),
    "coco RLE counts short": (coco, {"edit": _set("annotations.0.segmentation", {"size": list(HW), "counts": [5]})},
                              "add up to 5, expected 600"),
    "coco top level list": (coco, {"raw": b"[1, 2]"}, "COCO document: expected a mapping"),
    "coco empty file": (coco, {"raw": b""}, "is empty"),
    "coco not utf8": (coco, {"raw": b'{"images": "\xff"}'}, "not UTF-8"),
    "coco malformed": (coco, {"raw": b'{"images": ['}, "malformed JSON"),
    "labelme points is a string": (labelme, {"edit": _set("shapes.0.points", "1,2,3")}, "'points': expected a list"),
    "labelme point of 3 numbers": (labelme, {"edit": _set("shapes.0.points.0", [1, 2, 3])}, r"an \[x, y\] pair"),
    "labelme NaN point": (labelme, {"edit": _set("shapes.0.points.1.0", NAN)}, "finite number"),
    "labelme bool height": (labelme, {"edit": _set("imageHeight", False)}, "image height"),
    "labelme label is a number": (labelme, {"edit": _set("shapes.0.label", 3)}, "'label': expected a non-empty"),
    "labelme circle": (labelme, {"edit": _set("shapes.0.shape_type", "circle")}, "'shape_type'"),
    "labelme shapes is a mapping": (labelme, {"edit": _set("shapes", {})}, "'shapes': expected a list"),
    "labelme empty file": (labelme, {"raw": b"  \n"}, "is empty"),
    "cvat missing width": (cvat, {"image_attrs": 'height="20"'}, "missing attribute 'width'"),
    "cvat broken points": (cvat, {"shape": '<polygon label="car" points="1,1;10;10,10"/>'}, "points must be 'x,y"),
    "cvat NaN box": (cvat, {"shape": '<box label="car" xtl="nan" ytl="1" xbr="5" ybr="5"/>'}, "xtl: expected a finite"),
    "cvat wrong root": (cvat, {"raw": b"<html></html>"}, "expected CVAT for images 1.1"),
    "cvat empty": (cvat, {"raw": b""}, "is empty"),
    "voc list not utf8": (voc, {"stems": b"a\n\xff\n"}, r"val.txt:2: VOC split list is not UTF-8"),
    "voc label id out of range": (voc, {"label": np.full(HW, 9, np.uint8)}, r"label values \[9\] are not class ids"),
    "voc missing label": (voc, {"stems": b"a\nb\n"}, r"val.txt:2: image .*b.jpg not found"),
    "yaml ignore_index true": (config, {"body": GOOD_YAML + "ignore_index: true\n"}, r"True \(bool\)"),
    "yaml ignore_index 300": (config, {"body": GOOD_YAML + "ignore_index: 300\n"}, r"in \[0, 255\]"),
    "yaml colour of 2 values": (config, {"body": GOOD_YAML.replace("[bg, car]", "[{name: bg, colour: [1, 2]}, car]")},
                                r"\[R, G, B\]"),
    "yaml colour 999": (config, {"body": GOOD_YAML.replace("[bg, car]", "[{name: bg, colour: [1, 2, 999]}, car]")},
                        r"'colour': expected an integer in \[0, 255\]"),
    "yaml class name is a number": (config, {"body": GOOD_YAML.replace("[bg, car]", "[{name: 5}, car]")}, "'name'"),
    "yaml duplicate names": (config, {"body": GOOD_YAML.replace("[bg, car]", "[car, car]")}, "must be unique"),
    "yaml python tag": (config, {"body": GOOD_YAML + "x: !!python/object/apply:os.system [echo]\n"}, "invalid YAML"),
    "yaml not utf8": (config, {"body": GOOD_YAML.encode() + b"# \xff\n"}, r"d.yaml:5: dataset file is not UTF-8"),
    "yaml empty": (config, {"body": ""}, "dataset file is empty"),
    "yaml is a list": (config, {"body": "[1, 2]\n"}, "expected a mapping at the top level"),
    "yaml root is a number": (config, {"body": GOOD_YAML.replace("root: .", "root: 5")}, "'root'"),
    "yaml things is a string": (config, {"body": GOOD_YAML + "things: car\n"}, "'things': expected a list"),
    "yaml label_mapping to class 9": (config, {"body": GOOD_YAML + "label_mapping: {3: 9}\n"}, "class id 9 outside"),
    "masks label id out of range": (config, {"body": GOOD_YAML, "label": np.full(HW, 5, np.uint8)},
                                    r"a.png: label values \[5\] are not class ids 0-1"),
    "masks label is RGB": (config, {"body": GOOD_YAML, "label": np.zeros((*HW, 3), np.uint8)}, "single-channel"),
    "masks label of another size": (config, {"body": GOOD_YAML, "label": np.zeros((5, 5), np.uint8)}, "mask is 5x5"),
}


def _convert(capsys, yaml_path: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["convert", str(yaml_path), "--to", "masks", "--out", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_exit_2_with_one_line_naming_the_file(tmp_path, capsys, name):
    build, kwargs, message = CASES[name]
    yaml_path, named = _build(build, tmp_path / "ds", kwargs)
    code, out, err = _convert(capsys, yaml_path, tmp_path / "out")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (name, out, err)
    assert len(lines) == 1 and lines[0].startswith("pixelwise: error: "), err
    assert named.name in lines[0], (named, lines[0])
    assert re.search(message, lines[0]), (message, lines[0])
    assert "unreadable" not in lines[0], "caught by the last-resort net, not by a validator"


def _build(build, root: Path, kwargs: dict) -> tuple[Path, Path]:
    root.mkdir()
    return build(root, **kwargs)


def test_nan_yolo_line_no_longer_paints_a_car(tmp_path, capsys):
    """The probe's case: NaN coordinates were painted as 1838 px of car; now refused, or skipped and counted."""
    yaml_path, txt = yolo(_mk(tmp_path / "ds"), "1 nan nan 0.9 0.1 0.9 0.9\n1 0.1 0.1 0.2 0.1 0.2 0.2\n")
    code, _, err = _convert(capsys, yaml_path, tmp_path / "out")
    assert code == 2 and f"{txt}:1:" in err
    code, out, err = _convert(capsys, yaml_path, tmp_path / "out", "--skip-bad")
    assert code == 0, err
    assert "1 record(s) skipped" in out and f"skipped: {txt}:1:" in err
    with Image.open(tmp_path / "out" / "masks" / "val" / "a.png") as im:
        mask = np.asarray(im)
    assert 0 < (mask == 1).sum() <= 20  # only the small valid triangle


def _mk(path: Path) -> Path:
    path.mkdir()
    return path


def test_skip_bad_counts_bad_records_of_every_reader(tmp_path, capsys):
    yaml_path, _ = coco(_mk(tmp_path / "ds"), _add_bad_annotations)
    code, out, err = _convert(capsys, yaml_path, tmp_path / "out", "--skip-bad")
    assert code == 0, err
    assert "6 record(s) skipped" in out  # 3 bad annotations, in train and in val (the same file)
    assert err.count("pixelwise: skipped: ") == 6 and "annotation id 2" in err and "annotation id 4" in err


def _add_bad_annotations(doc: dict) -> None:
    good = doc["annotations"][0]
    doc["annotations"] += [{**good, "id": 2, "segmentation": [[1, 1, NAN, 1, 10, 10]]},
                           {**good, "id": 3, "category_id": True},
                           {**good, "id": 4, "segmentation": {"size": list(HW), "counts": "garbage!!"}}]


def test_choices_match_the_formats_and_help_loads_no_numpy():
    import subprocess
    import sys

    from pixelwise.cli.convert_cmd import FORMATS as CLI_FORMATS
    from pixelwise.data.config import FORMATS

    assert CLI_FORMATS == FORMATS
    code = ("import argparse, sys\nfrom pixelwise.cli import convert_cmd, val_cmd\n"
            "sub = argparse.ArgumentParser().add_subparsers()\nconvert_cmd.add_parser(sub)\nval_cmd.add_parser(sub)\n"
            "print(sorted(m for m in ('numpy', 'cv2', 'yaml') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stdout + r.stderr


def test_out_must_not_be_the_source_folder(tmp_path, capsys):
    yaml_path, _ = coco(_mk(tmp_path / "ds"))
    before = yaml_path.read_text()
    code, _, err = _convert(capsys, yaml_path, tmp_path / "ds")
    assert code == 2 and "is the source dataset's own folder" in err
    assert yaml_path.read_text() == before and not (tmp_path / "ds" / "dataset.yaml").exists()
