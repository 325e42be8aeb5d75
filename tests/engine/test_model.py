import json

import numpy as np
import pytest

from pixelwise.engine.model import load_model
from pixelwise.engine.predictor import PredictOptions, Predictor
from pixelwise.engine.session import OnnxSession, SessionConfig
from pixelwise.errors import InputError, ModelError
from tests.conftest import make_semantic_onnx


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
