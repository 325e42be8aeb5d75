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


def test_int8_is_selected_by_flag():
    assert pw.Segmenter(int8=True).model_path.name == REGISTRY["default-int8"].file
