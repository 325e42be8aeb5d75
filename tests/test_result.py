import json

import numpy as np
import pytest
from PIL import Image

from pixelwise.result import NO_OBJECT, RESULT_SCHEMA, Instances, Result
from pixelwise.spec import ModelSpec

SPEC = ModelSpec(classes=("road", "car", "person"), things=("car", "person"), name="toy")


def _result(**kw):
    img = np.zeros((40, 60, 3), np.uint8)
    sem = np.zeros((40, 60), np.uint8)
    sem[5:15, 5:25] = 1  # car, 200 px
    sem[20:30, 40:44] = 2  # person, 40 px
    sem[35:38, 0:3] = 1  # tiny car, 9 px (below min_area)
    return Result(image=img, semantic=sem, spec=SPEC, min_area=20, **kw)


def test_shapes_are_validated_with_clear_messages():
    with pytest.raises(ValueError, match=r"semantic: expected shape \(40, 60\), got \(10, 10\)"):
        Result(image=np.zeros((40, 60, 3), np.uint8), semantic=np.zeros((10, 10), np.uint8), spec=SPEC)
    with pytest.raises(ValueError, match="boxes_xyxy"):
        Instances(np.zeros((2, 3)), [1, 2], [0.5, 0.5], np.zeros((2, 4, 4), bool))


def test_areas_keyed_by_name_with_ids_largest_first():
    a = _result().areas()
    assert list(a) == ["road", "car", "person"]
    assert a["car"] == {"id": 1, "pixels": 209, "fraction": round(209 / 2400, 6)}


def test_instances_from_thing_components_and_filtering():
    inst = _result().instances
    assert inst.class_ids.tolist() == [1, 2]
    assert inst.boxes_xyxy.tolist() == [[5, 5, 25, 15], [40, 20, 44, 30]]
    assert inst.masks.shape == (2, 40, 60) and inst.areas.tolist() == [200, 40]
    only_people = inst[inst.class_ids == 2]
    assert len(only_people) == 1 and only_people.masks.shape == (1, 40, 60)
    assert len(inst[0]) == 1


def test_instance_scores_use_the_confidence_map():
    conf = np.full((40, 60), 0.5, np.float32)
    conf[5:15, 5:25] = 0.9
    inst = _result(confidence=conf).instances
    assert np.allclose(inst.scores, [0.9, 0.5])


def test_segments_hugging_face_format():
    segs = _result().segments()
    assert [s["label"] for s in segs] == ["road", "car", "person"]
    assert all(s["score"] is None for s in segs)
    m = segs[1]["mask"]
    assert isinstance(m, Image.Image) and m.mode == "L" and m.size == (60, 40)
    assert set(np.unique(np.asarray(m))) == {0, 255}
    assert _result().segments(as_numpy=True)[1]["mask"].dtype == bool


def test_to_dict_schema_and_rle_round_trip():
    from pixelwise.ops.masks import decode_rle

    r = _result(path="x.png", timings_ms={"inference": 1.23456})
    d = json.loads(r.to_json())
    assert d["schema"] == RESULT_SCHEMA and d["height"] == 40 and d["width"] == 60 and d["source"] == "x.png"
    assert d["areas"]["person"]["id"] == 2
    assert d["instances"][0]["label"] == "car" and d["instances"][0]["area"] == 200
    assert (decode_rle([d["instances"][0]["rle"]])[0] == r.instances.masks[0]).all()
    assert "polygons" in r.to_dict(masks="polygons")["instances"][1]
    assert "rle" not in r.to_dict(masks="none")["instances"][0]
    with pytest.raises(ValueError):
        r.to_dict(masks="png")


def test_panoptic_segments_cover_stuff_and_things():
    seg, info = _result().panoptic()
    assert seg.dtype == np.int32
    cats = [(i["category_id"], i["isthing"]) for i in info]
    assert cats == [(0, False), (1, True), (2, True)]
    assert info[1]["area"] == 200 and info[1]["bbox"] == [5.0, 5.0, 20.0, 10.0]


def test_instance_model_results_keep_their_instances():
    spec = ModelSpec(adapter="yolo_seg", classes=("car",), things=("car",))
    masks = np.zeros((1, 10, 10), bool)
    masks[0, 2:5, 2:5] = True
    sem = np.full((10, 10), NO_OBJECT, np.uint8)
    sem[masks[0]] = 0
    inst = Instances([[2, 2, 5, 5]], [0], [0.8], masks)
    r = Result(image=np.zeros((10, 10, 3), np.uint8), semantic=sem, spec=spec, instances=inst)
    assert r.segments()[0]["score"] == pytest.approx(0.8)
    assert r.areas() == {"car": {"id": 0, "pixels": 9, "fraction": 0.09}}


def test_plot_returns_new_image_and_save_writes_files(tmp_path):
    r = _result()
    before = r.image.copy()
    out = r.plot()
    assert out.shape == r.image.shape and out is not r.image
    assert (r.image == before).all()
    assert (tmp_path / "o.png").exists() is False
    r.save(str(tmp_path / "o.png"))
    r.save(str(tmp_path / "o_mask.png"))
    r.save(str(tmp_path / "o.json"))
    r.save(str(tmp_path / "o.npy"))
    with Image.open(tmp_path / "o_mask.png") as im:
        assert (np.asarray(im) == r.semantic).all()
    assert (np.load(tmp_path / "o.npy") == r.semantic).all()
    assert json.loads((tmp_path / "o.json").read_text())["schema"] == RESULT_SCHEMA


def test_a_result_is_frozen_and_its_regions_are_made_once():
    import dataclasses

    from pixelwise.result import Instances, Result
    from pixelwise.spec import ModelSpec

    spec = ModelSpec(adapter="semantic", classes=("bg", "thing"), input_hw=(8, 8), mean=(0, 0, 0), std=(1, 1, 1),
                     things=("thing",))
    sem = np.zeros((20, 30), np.uint8)
    sem[2:10, 3:12] = 1
    res = Result(image=np.zeros((20, 30, 3), np.uint8), semantic=sem, spec=spec, min_area=4)
    assert res.__dict__["_instances"] is None  # a semantic model's regions are made on first read only
    assert isinstance(res.instances, Instances) and len(res.instances) == 1 and res.instances is res.instances
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.frame_index = 3  # type: ignore[misc]
    later = dataclasses.replace(res, frame_index=3)
    assert later.frame_index == 3 and res.frame_index is None and later.instances is res.instances
    with pytest.raises(AttributeError):
        res.instances.track_ids = np.array([7])  # type: ignore[misc]
    tracked = res.instances.with_track_ids(np.array([7]))
    assert tracked.track_ids.tolist() == [7] and res.instances.track_ids is None
    assert not hasattr(res, "show")  # no GUI in a record: io.display.show_image(res.plot())
