import json

import numpy as np
import pytest

from pixelwise.engine.model import load_model
from pixelwise.engine.predictor import PredictOptions, Predictor
from pixelwise.engine.session import OnnxSession, SessionConfig
from pixelwise.errors import InputError, ModelError
from tests.builders import make_semantic_onnx


def test_session_reports_inputs_outputs_and_metadata(rgb_model):
    s = OnnxSession(rgb_model, SessionConfig(threads=1))
    assert [i.name for i in s.inputs] == ["input"] and [o.name for o in s.outputs] == ["logits"]
    assert "pixelwise.spec" in s.metadata
    assert "input [1, 3, ?, ?]" in s.describe()


def test_spec_from_embedded_metadata(rgb_model):
    _, spec = load_model(rgb_model)
    assert spec.name == "rgb" and spec.classes == ("red", "green", "blue") and spec.dynamic


def test_spec_from_sidecar_json(tmp_path):
    path = make_semantic_onnx(tmp_path / "m.onnx", sidecar={"classes": ["r", "g", "b"], "input_hw": [32, 32],
                                                             "mean": [0, 0, 0], "std": [1, 1, 1]})
    _, spec = load_model(path)
    assert spec.classes == ("r", "g", "b") and spec.input_hw == (32, 32) and spec.mean == (0.0, 0.0, 0.0)
    assert spec.pad_value == 114  # Ultralytics' grey unless the sidecar says otherwise


def test_a_sidecar_pad_value_is_read_and_checked(tmp_path):
    sidecar = {"classes": ["r", "g", "b"], "resize": "letterbox", "pad_value": 0}
    _, spec = load_model(make_semantic_onnx(tmp_path / "m.onnx", sidecar=sidecar))
    assert spec.resize == "letterbox" and spec.pad_value == 0
    with pytest.raises(ModelError, match=r"b\.json: pad_value must be a whole grey level 0-255, got 300"):
        load_model(make_semantic_onnx(tmp_path / "b.onnx", sidecar={**sidecar, "pad_value": 300}))


def test_spec_guessed_from_signature(tmp_path):
    path = make_semantic_onnx(tmp_path / "plain.onnx", static_hw=(32, 48), pool=1)
    _, spec = load_model(path)
    assert spec.classes == ("class_0", "class_1", "class_2") and spec.input_hw == (32, 48) and not spec.dynamic


def test_overrides_win(rgb_model):
    _, spec = load_model(rgb_model, overrides={"classes": ("x", "y", "z"), "things": ()})
    assert spec.classes == ("x", "y", "z")


def test_not_onnx_is_a_model_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_text("this is not a model")
    with pytest.raises(ModelError, match="bad.onnx: not a usable ONNX model"):
        load_model(bad)
    with pytest.raises(ModelError, match="expected an .onnx"):
        load_model(tmp_path / "model.pt")
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "missing.onnx")


def test_outputs_that_fit_no_adapter_list_the_signature(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 192])
    graph = helper.make_graph([helper.make_node("Flatten", ["x"], ["y"])], "g", [inp], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "cls.onnx"))
    with pytest.raises(ModelError, match=r"outputs do not fit.*y \[1, 192\].*pixelwise accepts semantic"):
        load_model(tmp_path / "cls.onnx", overrides={"classes": tuple("abc")})


def test_static_size_mismatch_is_reported(tmp_path):
    path = make_semantic_onnx(tmp_path / "s.onnx", static_hw=(32, 32),
                              spec={"classes": ["r", "g", "b"], "input_hw": [64, 64]})
    with pytest.raises(ModelError, match="fixed at 32x32"):
        load_model(path)


def test_predictor_fetches_labels_only_for_images_of_the_input_size(default_model_path):
    session, spec = load_model(default_model_path)
    asked = []

    class Recording:  # the session, noting which outputs each run asks for
        inputs, outputs, source = session.inputs, session.outputs, session.source

        def run(self, feed, outputs=None):
            asked.append(outputs)
            return session.run(feed, outputs)

    assert [o.name for o in session.outputs] == ["logits", "labels"]
    pred = Predictor(Recording(), spec)
    for hw in [(360, 480), (300, 500)]:
        image = np.random.default_rng(0).integers(0, 256, (*hw, 3), dtype=np.uint8)
        blob, transform = pred.adapter.preprocess(image, spec, spec.input_hw)
        every = dict(zip(["logits", "labels"], session.run({"input": blob})))  # as before: all outputs
        assert (pred(image).semantic == pred.adapter.postprocess(every, transform, spec).semantic).all()
    pred(np.zeros((360, 480, 3), np.uint8), PredictOptions(confidence=True))
    assert asked == [["logits", "labels"], ["logits"], ["logits"]]


def test_predictor_timings_classes_filter_and_fixed_size(tmp_path, colour_image):
    session, spec = load_model(make_semantic_onnx(tmp_path / "f.onnx", static_hw=(64, 96),
                                                  spec={"classes": ["r", "g", "b"], "input_hw": [64, 96]}))
    pred = Predictor(session, spec)
    res = pred(colour_image)
    assert set(res.timings_ms) == {"preprocess", "inference", "postprocess"}
    assert res.semantic.shape == (120, 160)
    only_blue = pred(colour_image, PredictOptions(classes=(2,)))
    assert set(np.unique(only_blue.semantic).tolist()) == {2, 255}
    with pytest.raises(InputError, match="fixed input size 64x96"):
        pred(colour_image, PredictOptions(input_hw=(32, 32)))
    assert json.loads(res.to_json())["model"] == ""


# -- foreign exports, refused models, sidecars ---------------------------------------------------
def _save(tmp_path, name, nodes, inputs, outputs, metadata=None, inits=()):
    import onnx
    from onnx import helper

    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(model, str(tmp_path / name))
    return tmp_path / name


def _ultralytics_meta(task, names="{0: 'a', 1: 'b', 2: 'c'}", **extra):
    return {"task": task, "names": names, "imgsz": "[32, 32]", "stride": "32", "version": "8.4.190", **extra}


def _sem_ids_onnx(tmp_path, name="ids.onnx", metadata=None):
    """Ultralytics-style semantic export: ArgMax + Cast(uint8) in the graph, output [1, 32, 32]."""
    from onnx import TensorProto, helper

    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])
    out = helper.make_tensor_value_info("output0", TensorProto.UINT8, [1, 32, 32])
    nodes = [helper.make_node("ArgMax", ["images"], ["am"], axis=1, keepdims=0),
             helper.make_node("Cast", ["am"], ["output0"], to=TensorProto.UINT8)]
    return _save(tmp_path, name, nodes, [inp], [out], metadata)


def _e2e_onnx(tmp_path, name="seg.onnx", metadata=None, rows=300):
    """A YOLO-seg end-to-end export's signature: output0 [1, rows, 38], output1 [1, 32, 8, 8] (constants)."""
    from onnx import TensorProto, helper, numpy_helper

    det = np.zeros((1, rows, 38), np.float32)
    det[0, 0, :6] = (4, 4, 20, 12, 0.9, 1)  # one box in canvas pixels, class 1
    det[0, 0, 6:] = 1.0
    inp = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 32, 32])
    outs = [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, rows, 38]),
            helper.make_tensor_value_info("output1", TensorProto.FLOAT, [1, 32, 8, 8])]
    nodes = [helper.make_node("ReduceMax", ["images"], ["m"], keepdims=0),
             helper.make_node("Mul", ["m", "zero"], ["z"]),
             helper.make_node("Add", ["det", "z"], ["output0"]),
             helper.make_node("Add", ["protos", "z"], ["output1"])]
    inits = [numpy_helper.from_array(det, "det"), numpy_helper.from_array(np.ones((1, 32, 8, 8), np.float32), "protos"),
             numpy_helper.from_array(np.zeros((), np.float32), "zero")]
    return _save(tmp_path, name, nodes, [inp], outs, metadata, inits)


def test_ultralytics_semantic_export_reads_names_from_metadata(tmp_path):
    path = _sem_ids_onnx(tmp_path, metadata=_ultralytics_meta("semantic"))
    session, spec = load_model(path)
    assert spec.adapter == "yolo_sem" and spec.classes == ("a", "b", "c") and spec.layout == "ids"
    assert spec.resize == "letterbox" and spec.input_hw == (32, 32) and spec.ignore_index == 255
    img = np.zeros((16, 48, 3), np.uint8)
    img[..., 2] = 200  # blue wins everywhere
    res = Predictor(session, spec)(img)
    assert res.semantic.shape == (16, 48) and (res.semantic == 2).all()
    with pytest.raises(InputError, match="class ids only"):
        Predictor(session, spec)(img, PredictOptions(confidence=True))


def test_end2end_layout_comes_from_shape_and_metadata_not_the_file_name(tmp_path):
    meta = _ultralytics_meta("segment", end2end="True")
    for name in ("yolo11n-seg.onnx", "classic.onnx", "model.onnx"):
        session, spec = load_model(_e2e_onnx(tmp_path, name, meta))
        assert spec.adapter == "yolo_seg" and spec.layout == "end2end" and spec.things == spec.classes
    inst = Predictor(session, spec)(np.zeros((32, 64, 3), np.uint8)).instances  # 2x: content 16x32 at rows 8..24
    assert len(inst) == 1 and inst.class_ids.tolist() == [1]
    assert np.allclose(inst.boxes_xyxy[0], [8, 0, 40, 8])
    _, spec = load_model(_e2e_onnx(tmp_path, "nometa.onnx", meta | {"end2end": "False"}))
    assert spec.layout == "end2end"  # [1,300,38] fits only the end-to-end layout whatever the flag says


def test_yolo_seg_outputs_that_fit_neither_layout_are_refused(tmp_path):
    path = _e2e_onnx(tmp_path, "odd.onnx", _ultralytics_meta("segment"), rows=300)
    with pytest.raises(ModelError, match=r"odd.onnx: outputs do not fit the 'yolo_seg' adapter: output0 \[1, 300, 38\] "
                                         r"fits neither"):
        load_model(path, overrides={"layout": "classic"})


def test_uint8_input_is_refused_at_load_naming_the_file(tmp_path):
    from onnx import TensorProto, helper

    inp = helper.make_tensor_value_info("input", TensorProto.UINT8, [1, 3, 8, 8])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, 8, 8])
    path = _save(tmp_path, "u8.onnx", [helper.make_node("Cast", ["input"], ["logits"], to=TensorProto.FLOAT)],
                 [inp], [out], {"pixelwise.spec": json.dumps({"classes": ["r", "g", "b"], "input_hw": [8, 8]})})
    with pytest.raises(ModelError, match=r"u8.onnx: input input \[1, 3, 8, 8\] tensor\(uint8\) is not float32") as e:
        load_model(path)
    assert "\n" not in str(e.value)


def test_empty_output_is_refused_at_load_naming_the_file(tmp_path):
    from onnx import TensorProto, helper, numpy_helper

    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 32, 32])
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, None, None])
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in
             (("st", [0, 0]), ("en", [0, 0]), ("ax", [2, 3]))]
    path = _save(tmp_path, "empty.onnx", [helper.make_node("Slice", ["input", "st", "en", "ax"], ["logits"])],
                 [inp], [out], {"pixelwise.spec": json.dumps({"classes": ["r", "g", "b"], "input_hw": [32, 32]})},
                 inits)
    with pytest.raises(ModelError, match=r"empty.onnx: output logits \[1, 3, 0, 0\] tensor\(float\) is empty"):
        load_model(path)


@pytest.mark.parametrize("input_hw", ["abc", 5, [0, 4], [1, 2, 3], None])
def test_bad_sidecar_values_name_the_sidecar(tmp_path, input_hw):
    path = make_semantic_onnx(tmp_path / "m.onnx", sidecar={"classes": ["r", "g", "b"], "input_hw": input_hw})
    with pytest.raises(ModelError, match=r"m\.json: .*input_hw") as e:
        load_model(path)
    assert str(tmp_path / "m.json") in str(e.value) and "\n" not in str(e.value)


def test_sidecar_named_model_json_is_used_and_name_json_wins(tmp_path):
    path = make_semantic_onnx(tmp_path / "net.onnx")
    (tmp_path / "model.json").write_text(json.dumps({"classes": ["x", "y", "z"]}))
    _, spec = load_model(path)
    assert spec.classes == ("x", "y", "z")
    (tmp_path / "net.json").write_text(json.dumps({"classes": ["p", "q", "r"]}))
    _, spec = load_model(path)
    assert spec.classes == ("p", "q", "r")
    (tmp_path / "model.json").write_text("[1, 2]")
    _, spec = load_model(path)  # not consulted when net.json exists
    (tmp_path / "net.json").unlink()
    with pytest.raises(ModelError, match=r"model\.json: expected a JSON object"):
        load_model(path)


def test_sidecar_beside_an_ultralytics_export_overrides_only_its_keys(tmp_path):
    path = _sem_ids_onnx(tmp_path, "sem.onnx", _ultralytics_meta("semantic"))
    (tmp_path / "sem.json").write_text(json.dumps({"classes": ["sky", "road", "car"]}))
    _, spec = load_model(path)
    assert spec.adapter == "yolo_sem" and spec.classes == ("sky", "road", "car") and spec.resize == "letterbox"


def test_a_class_id_semantic_model_has_no_confidence(tmp_path, colour_image):
    path = make_semantic_onnx(tmp_path / "ids.onnx", output="ids", sidecar={"classes": ["r", "g", "b"]})
    session, spec = load_model(path)
    assert spec.adapter == "semantic" and spec.layout == "ids" and not spec.gives_confidence
    pred = Predictor(session, spec)
    res = pred(colour_image)
    assert res.semantic[5, 5] == 0 and res.semantic[5, 155] == 2 and res.confidence is None
    with pytest.raises(InputError, match="class ids only"):
        pred(colour_image, PredictOptions(confidence=True))
    _, logits_spec = load_model(make_semantic_onnx(tmp_path / "logits.onnx", sidecar={"classes": ["r", "g", "b"]}))
    assert logits_spec.layout == "" and logits_spec.gives_confidence


def test_ultralytics_tasks_without_an_adapter_are_named(tmp_path):
    path = _e2e_onnx(tmp_path, "det.onnx", _ultralytics_meta("detect"))
    with pytest.raises(ModelError, match=r"det.onnx: Ultralytics task 'detect' is not supported"):
        load_model(path)
    bad = _e2e_onnx(tmp_path, "bad.onnx", _ultralytics_meta("segment", names="{0: 'a'"))
    with pytest.raises(ModelError, match=r"bad.onnx: Ultralytics metadata 'names' is not a Python literal"):
        load_model(bad)


def test_unknown_yolo_seg_layout_is_refused(tmp_path):
    path = _e2e_onnx(tmp_path, "seg.onnx", _ultralytics_meta("segment", end2end="True"))
    with pytest.raises(ModelError, match="unknown yolo_seg layout 'bogus'; expected one of classic, end2end"):
        load_model(path, overrides={"layout": "bogus"})
