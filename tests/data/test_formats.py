"""Every format converts both ways; bad records are named; --skip-bad counts them."""

import json

import numpy as np
import pytest
from PIL import Image

import pixelwise as pw
from pixelwise.data.config import load_dataset_config
from pixelwise.data.formats import FORMATS, read_split, write_dataset
from pixelwise.errors import DatasetError
from tests.builders import make_mask_dataset


@pytest.fixture
def masks_ds(tmp_path):
    return make_mask_dataset(tmp_path / "src", n=3, hw=(40, 56))


def _maps(yaml_path, split="val"):
    ds = read_split(load_dataset_config(yaml_path), split)
    return {s.image.name: s.semantic_map(255) for s in ds.samples}


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_through_every_format(masks_ds, tmp_path, fmt):
    cfg = load_dataset_config(masks_ds)
    splits = {k: read_split(cfg, k) for k in ("train", "val")}
    out_yaml = write_dataset(splits, fmt, tmp_path / fmt)
    back = _maps(out_yaml)
    ref = _maps(masks_ds)
    assert back.keys() == ref.keys()
    for name, m in ref.items():
        fg, bfg = m == 1, back[name] == 1
        iou = (fg & bfg).sum() / (fg | bfg).sum()
        assert iou >= 0.98, (fmt, name, iou)
        if fmt in ("masks", "voc"):
            assert (back[name] == m).all()
    # and back to masks through the command line
    cfg2 = load_dataset_config(out_yaml)
    assert cfg2.classes == ("bg", "fg") and cfg2.format == fmt


def test_convert_cli_and_train_on_a_converted_dataset(cli, masks_ds, tmp_path):
    r = cli("convert", masks_ds, "--to", "labelme", "--out", tmp_path / "lm")
    assert r.returncode == 0, r.stderr
    assert "train: 3 images, val: 3 images" in r.stdout
    r = cli("train", "--data", tmp_path / "lm" / "dataset.yaml", "--out", tmp_path / "run", "--epochs", "1",
            "--batch", "2", "--crop", "24x32", "--net", "small", "--threads", "1", "--val-every", "1")
    assert r.returncode == 0, r.stderr


def test_coco_rle_round_trip_is_exact(tmp_path):
    from pixelwise.data.annotations import LabelledSet, Object, Sample
    from pixelwise.ops.masks import encode_rle

    rng = np.random.default_rng(0)
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "a.png")
    m = rng.random((20, 30)) > 0.5
    sample = Sample(tmp_path / "a.png", (20, 30), objects=[Object(1, rle=encode_rle(m[None])[0])])
    ds = LabelledSet(("x", "y"), [sample],
                     colours=((1, 2, 3), (4, 5, 6)))
    yaml_path = write_dataset({"train": ds, "val": ds}, "coco", tmp_path / "coco")
    back = read_split(load_dataset_config(yaml_path), "val")
    assert (back.samples[0].objects[0].mask((20, 30)) == m).all()


def test_prediction_exports_round_trip_into_labelme_and_coco(rgb_model, colour_image, tmp_path):
    Image.fromarray(colour_image).save(tmp_path / "pic.png")
    res = pw.Segmenter(rgb_model, min_area=10, threads=1)(str(tmp_path / "pic.png"))
    doc = res.to_labelme()
    assert not (tmp_path / "pic.json").exists() and doc["shapes"][0]["label"] == "red"  # a conversion writes nothing
    from pixelwise.data.exports import write_labelme

    assert write_labelme(res) == tmp_path / "pic.json" and json.loads((tmp_path / "pic.json").read_text()) == doc
    from pixelwise.data.annotations import SkipLog
    from pixelwise.data.formats import labelme

    back = labelme.read(tmp_path, ("red", "green", "blue"), SkipLog(False))
    painted = back.samples[0].semantic_map(255)
    assert ((painted == 0) == (res.semantic == 0)).mean() > 0.98
    coco_doc = res.to_coco()
    assert coco_doc["annotations"][0]["category_id"] == 1 and "score" in coco_doc["annotations"][0]
    assert res.to_yolo().startswith("0 ")


def _labelme(tmp_path, shapes, image=True, h=20, w=30):
    if image:
        Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(tmp_path / "i.png")
    (tmp_path / "i.json").write_text(json.dumps({"shapes": shapes, "imagePath": "i.png", "imageHeight": h,
                                                 "imageWidth": w}))
    (tmp_path / "d.yaml").write_text("format: labelme\nroot: .\ntrain: .\nval: .\nclasses: [a, b]\n")
    return load_dataset_config(tmp_path / "d.yaml")


@pytest.mark.parametrize("shapes, message", [
    ([{"label": "a", "points": [[0, 0], [5, 5]], "shape_type": "polygon"}], "at least 3 points"),
    ([{"label": "a", "points": [[0, 0], [50, 0], [50, 50]], "shape_type": "polygon"}], "outside the 20x30 image"),
    ([{"label": "zebra", "points": [[0, 0], [5, 0], [5, 5]], "shape_type": "polygon"}], "not in the class list"),
])
def test_bad_labelme_records_are_named_and_skippable(tmp_path, shapes, message):
    cfg = _labelme(tmp_path, shapes)
    with pytest.raises(DatasetError, match=rf"i.json: shape 0 .*{message}"):
        read_split(cfg, "val")
    shapes.append({"label": "b", "points": [[1, 1], [9, 1], [9, 9]], "shape_type": "polygon"})
    cfg = _labelme(tmp_path, shapes)
    ds = read_split(cfg, "val", skip_bad=True)
    assert len(ds.skipped) == 1 and len(ds.samples[0].objects) == 1


def test_malformed_json_and_missing_image(tmp_path):
    cfg = _labelme(tmp_path, [], image=False)
    with pytest.raises(DatasetError, match="i.json: image .*i.png not found"):
        read_split(cfg, "val")
    (tmp_path / "i.json").write_text("{not json")
    with pytest.raises(DatasetError, match=r"i.json: malformed JSON"):
        read_split(cfg, "val")


def test_coco_errors_name_the_annotation(tmp_path):
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "a.png")
    doc = {"images": [{"id": 1, "file_name": "a.png", "height": 10, "width": 10},
                      {"id": 2, "file_name": "gone.png", "height": 10, "width": 10}],
           "annotations": [{"id": 7, "image_id": 3, "category_id": 1, "segmentation": [[0, 0, 5, 0, 5, 5]]},
                           {"id": 8, "image_id": 1, "category_id": 9, "segmentation": [[0, 0, 5, 0, 5, 5]]},
                           {"id": 9, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 5, 0, 5, 5]]}],
           "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "c.json").write_text(json.dumps(doc))
    (tmp_path / "d.yaml").write_text("format: coco\nroot: .\ntrain: c.json\nval: c.json\nclasses: [a]\n")
    cfg = load_dataset_config(tmp_path / "d.yaml")
    with pytest.raises(DatasetError, match="image id 2: image .*gone.png not found"):
        read_split(cfg, "val")
    ds = read_split(cfg, "val", skip_bad=True)
    assert len(ds.skipped) == 3 and len(ds.samples) == 1 and len(ds.samples[0].objects) == 1
    assert any("annotation id 7: points at image id 3" in m for m in ds.skipped)
    assert any("annotation id 8: category id 9" in m for m in ds.skipped)
    (tmp_path / "c.json").write_text("[1, 2")
    with pytest.raises(DatasetError, match="c.json: malformed JSON"):
        read_split(cfg, "val")


def test_yolo_class_out_of_range_names_the_line(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    (tmp_path / "labels" / "a.txt").write_text("0 0 0 0.5 0 0.5 0.5\n5 0 0 0.5 0 0.5 0.5\n")
    (tmp_path / "d.yaml").write_text("format: yolo\nroot: .\ntrain: images\nval: images\nclasses: [a]\n")
    with pytest.raises(DatasetError, match=r"a.txt:2: class id 5 outside the 1 classes"):
        read_split(load_dataset_config(tmp_path / "d.yaml"), "val")


def test_duplicate_file_names_are_refused(tmp_path):
    from pixelwise.data.annotations import LabelledSet, Sample

    ds = LabelledSet(("a",), [Sample(tmp_path / "x" / "a.png", (2, 2), objects=[]),
                              Sample(tmp_path / "y" / "a.png", (2, 2), objects=[])])
    with pytest.raises(DatasetError, match="duplicate image file name 'a.png'"):
        ds.check()


def test_mask_size_mismatch_names_the_label(tmp_path):
    root = make_mask_dataset(tmp_path / "ds", n=1).parent
    lab = next((root / "val" / "labels").iterdir())
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(lab)
    from pixelwise.train.dataset import load_split

    with pytest.raises(DatasetError, match=rf"{lab.name}: mask is 5x5"):
        load_split(load_dataset_config(root / "dataset.yaml"), "val")


def test_labelme_image_path_written_on_windows(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "ann").mkdir()
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "imgs" / "i.png")
    (tmp_path / "ann" / "i.json").write_text(json.dumps({
        "shapes": [{"label": "a", "points": [[1, 1], [9, 1], [9, 9]], "shape_type": "polygon"}],
        "imagePath": "..\\imgs\\i.png", "imageHeight": 20, "imageWidth": 30}))
    (tmp_path / "d.yaml").write_text("format: labelme\nroot: .\nval: ann\nclasses: [a]\n")
    ds = read_split(load_dataset_config(tmp_path / "d.yaml"), "val")
    assert ds.samples[0].image.resolve() == (tmp_path / "imgs" / "i.png").resolve()
