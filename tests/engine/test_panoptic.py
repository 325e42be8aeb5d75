"""Panoptic by composition: a real semantic ONNX model plus a real (tiny) YOLO-seg ONNX model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.engine.panoptic import PanopticPredictor, parse_things_map
from pixelwise.errors import ModelError, OptionError
from tests.builders import YOLO_HW, make_yolo_onnx  # noqa: F401 (re-exported for older imports)


@pytest.fixture
def things_model(tmp_path: Path) -> Path:
    """'person' at rows 24..40, cols 8..24 (score 0.9); 'dog' (no counterpart) at the right; a 'person'
    scoring 0.3 at the top right."""
    return make_yolo_onnx(tmp_path / "things.onnx", ("person", "dog"),
                          [(16, 32, 16, 16, 0, 0.9), (48, 48, 8, 8, 1, 0.8), (48, 8, 8, 8, 0, 0.3)])


@pytest.fixture
def scene() -> np.ndarray:
    """(64, 64) RGB: left half red, right half blue."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :32] = (250, 10, 10)
    img[:, 32:] = (10, 10, 250)
    return img


def _segmenter(rgb_model, things_model, **kw):
    return pw.Segmenter(rgb_model, things=things_model, backend="onnxruntime", threads=1, **kw)


def test_things_merge_over_the_semantic_map(rgb_model, things_model, scene):
    seg = _segmenter(rgb_model, things_model, things_map={"person": "green"}, min_area=16)
    assert seg.spec.things == ("red", "green")  # the semantic model's own things plus the mapped ones
    res = seg(scene)
    inst = res.instances
    assert inst.class_ids.tolist() == [1] and inst.scores.tolist() == pytest.approx([0.9])
    assert inst.boxes_xyxy.tolist() == [[8, 24, 24, 40]]
    assert (res.semantic[24:40, 8:24] == 1).all()  # the instance wins over the semantic red
    assert (res.semantic[44:52, 44:52] == 2).all() and (res.semantic[4:12, 44:52] == 2).all()  # dog, low score
    ids, info = res.panoptic()
    got = [(s["category_id"], s["isthing"], s["area"]) for s in info]
    assert got == [(2, False, 32 * 64), (1, True, 256), (0, True, 32 * 64 - 256)]  # blue, person, red region
    assert (ids[24:40, 8:24] == 2).all()
    assert set(res.timings_ms) >= {"preprocess", "inference", "postprocess", "merge"}
    assert "+" in res.backend


def test_things_score_and_equal_names(rgb_model, tmp_path, scene):
    model = make_yolo_onnx(tmp_path / "rgb-things.onnx", ("blue",), [(48, 8, 8, 8, 0, 0.3)])
    low = _segmenter(rgb_model, model, things_score=0.2)(scene)  # blue = blue by name; 0.3 >= 0.2 is kept
    assert low.instances.class_ids.tolist() == [2]
    assert len(_segmenter(rgb_model, model)(scene).instances) == 0  # below the default 0.5


def test_things_map_from_string_json_and_yaml(tmp_path):
    assert parse_things_map("person=pedestrian, car=car") == {"person": "pedestrian", "car": "car"}
    (tmp_path / "m.json").write_text(json.dumps({"person": "pedestrian"}))
    (tmp_path / "m.yaml").write_text("person: pedestrian\nbike: bicyclist\n")
    assert parse_things_map(tmp_path / "m.json") == {"person": "pedestrian"}
    assert parse_things_map(str(tmp_path / "m.yaml")) == {"person": "pedestrian", "bike": "bicyclist"}
    assert parse_things_map(None) == {}


@pytest.mark.parametrize("value, message", [
    ("person", "expected THING=CLASS pairs"),
    ("person=", "expected THING=CLASS pairs"),
    ("missing.yaml", "things map file not found"),
    ({"person": 3}, "name: name strings"),
])
def test_bad_things_maps_are_one_line_option_errors(value, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OptionError, match=message):
        parse_things_map(value)


def test_a_map_file_that_is_not_a_mapping(tmp_path):
    (tmp_path / "m.yaml").write_text("- person\n- car\n")
    with pytest.raises(OptionError, match="expected a mapping"):
        parse_things_map(tmp_path / "m.yaml")


def test_models_of_the_wrong_kind_or_without_shared_classes(rgb_model, things_model):
    with pytest.raises(ModelError, match="--things needs an instance model"):
        _segmenter(rgb_model, rgb_model)
    with pytest.raises(ModelError, match="needs a semantic model for the stuff"):
        _segmenter(things_model, things_model)
    with pytest.raises(OptionError, match="no class of the things model"):
        _segmenter(rgb_model, things_model)  # person, dog vs red, green, blue
    with pytest.raises(OptionError, match="'cat' is not a class of the things model"):
        _segmenter(rgb_model, things_model, things_map="cat=red")
    with pytest.raises(OptionError, match="score and overlap must be in 0..1"):
        _segmenter(rgb_model, things_model, things_map="person=red", things_score=1.5)


def test_composed_predictor_keeps_the_semantic_models_options(rgb_model, things_model, scene):
    seg = _segmenter(rgb_model, things_model, things_map="person=green", classes=["blue", "red"])
    assert isinstance(seg.predictor, PanopticPredictor)
    res = seg(scene)
    assert len(res.instances) == 0  # green is not among the classes kept
    assert set(np.unique(res.semantic).tolist()) <= {0, 2}


def test_a_stream_runs_the_composed_predictor(rgb_model, things_model, scene, tmp_path):
    from PIL import Image

    for k in range(3):
        Image.fromarray(scene).save(tmp_path / f"frame{k}.png")
    seg = _segmenter(rgb_model, things_model, things_map="person=green")
    results = list(seg.stream(str(tmp_path / "frame*.png"), workers=2))
    assert [r.frame_index for r in results] == [0, 1, 2]
    assert all(r.instances.class_ids.tolist() == [1] and r.spec.things == ("red", "green") for r in results)
