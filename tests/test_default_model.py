"""The shipped default model(s): present, described, and as good as their specs say."""

import pytest

import pixelwise as pw
from pixelwise.registry import REGISTRY, resolve_model
from pixelwise.validate import validate
from tests.conftest import CAMVID_YAML


@pytest.mark.parametrize("name", ["default", "default-int8"])
def test_shipped_model_records_its_recipe(name):
    seg = pw.Segmenter(name)
    spec = seg.spec
    assert spec.classes[:4] == ("sky", "building", "pole", "road") and spec.things == ("car", "pedestrian", "bicyclist")
    assert spec.input_hw == (360, 480) and spec.dynamic
    assert "pixelwise train" in spec.provenance["command"] and spec.provenance["seed"] is not None
    assert isinstance(spec.scores["val_miou"], float) and len(spec.scores["val_iou"]) == 11
    assert resolve_model(name).stat().st_size <= 8_000_000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["default", "default-int8"])
def test_shipped_model_reaches_its_recorded_val_miou(camvid, name):
    seg = pw.Segmenter(name, threads=2)
    report = validate(seg, CAMVID_YAML, "val", progress=False)
    recorded = seg.spec.scores["val_miou"]
    assert report.images == 101
    assert report.metrics.miou >= recorded - 0.5, f"{name}: measured {report.metrics.miou:.2f}, recorded {recorded}"


@pytest.mark.parametrize("name", ["default", "default-int8", "people"])
def test_shipped_model_carries_its_training_record(name):
    """training/records/ holds each shipped model's record (what `pixelwise export --provenance` sets)."""
    import json
    from pathlib import Path

    seg = pw.Segmenter(name)
    spec, stem = seg.spec, seg.model_path.stem
    assert spec.name == stem  # the spec names the file it ships as
    record = json.loads((Path(__file__).parents[1] / "training" / "records" / f"{stem.removesuffix('_int8')}.json")
                        .read_text(encoding="utf-8"))
    assert record and {k: spec.provenance.get(k) for k in record} == record


def test_int8_is_selected_by_flag():
    assert pw.Segmenter(int8=True).model_path.name == REGISTRY["default-int8"].file


def test_people_model_is_shipped_and_records_its_recipe():
    seg = pw.Segmenter("people")
    spec = seg.spec
    assert spec.classes == ("background", "person") and spec.resize == "letterbox" and spec.dynamic
    assert spec.pad_value == 0  # its training crops were padded with black
    assert "pixelwise train" in spec.provenance["command"] and "--teacher" in spec.provenance["command"]
    assert isinstance(spec.scores["val_iou"]["person"], float)
    assert resolve_model("people").stat().st_size <= 4_000_000


def test_people_model_finds_the_person_in_a_people_photo():
    from tests.conftest import SHARED

    people = SHARED / "datasets" / "people"
    if not people.is_dir():
        pytest.skip(f"people data not found at {people}")
    import numpy as np
    from PIL import Image

    image_rel, mask_rel = (people / "val.txt").read_text().split("\n")[0].split()
    res = pw.Segmenter("people", threads=2)(people / image_rel)
    label = np.array(Image.open(people / mask_rel))
    valid = label != 255
    pred, true = (res.semantic == 1) & valid, (label == 1) & valid
    assert (pred & true).sum() / (pred | true).sum() > 0.6
    rgba = res.cutout()
    assert ((rgba[..., 3] >= 128) == (res.semantic == 1)).mean() > 0.97
