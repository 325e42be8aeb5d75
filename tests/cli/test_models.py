import json

import pytest

from tests.conftest import SHARED


def test_models_lists_the_default_with_classes(cli, default_model_path):
    r = cli("models")
    assert r.returncode == 0, r.stderr
    assert "default: semantic, input 360x480 (dynamic), 11 classes" in r.stdout
    assert "sky, building, pole, road" in r.stdout


def test_models_json_for_one_file(cli, rgb_model):
    r = cli("models", rgb_model, "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)[0]
    assert info["classes"] == ["red", "green", "blue"] and info["things"] == ["red"]


def test_models_unknown(cli):
    r = cli("models", "nope")
    assert r.returncode == 2 and "known: default" in r.stderr


def _yolo26(name):
    path = SHARED / "models" / "yolo26" / name
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared; CI has it)")
    return path


def test_models_explains_the_choice_for_an_end2end_export(cli):
    r = cli("models", _yolo26("yolo26n-seg-e2e-camvid-320.onnx"))
    assert r.returncode == 0, r.stderr
    assert "yolo_seg, input 320x320, 3 classes" in r.stdout
    assert "adapter yolo_seg (instance results), from Ultralytics metadata (task: segment)" in r.stdout
    assert "layout: end2end: output0 [1,max_det,38]" in r.stdout
    assert "metadata keys found: task, names, imgsz, stride, end2end" in r.stdout
    assert "outputs: output0 [1, 300, 38] tensor(float); output1 [1, 32, 80, 80]" in r.stdout


def test_models_json_for_the_semantic_export(cli):
    r = cli("models", _yolo26("yolo26n-sem-camvid-320.onnx"), "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)[0]
    assert info["adapter"] == "yolo_sem" and info["kind"] == "semantic" and info["layout"] == "ids"
    assert info["spec_source"] == "Ultralytics metadata (task: semantic)" and "names" in info["metadata_keys"]
    assert info["classes"][:2] == ["sky", "building"] and "no confidence map" in info["layout_note"]


def test_models_on_the_default_model_says_where_its_spec_is(cli, default_model_path):
    r = cli("models", "default")
    assert r.returncode == 0, r.stderr
    assert "adapter semantic (semantic results), from pixelwise.spec metadata" in r.stdout
    assert "metadata keys found: pixelwise.spec" in r.stdout


def test_models_on_an_unsupported_file_lists_shapes_and_what_is_accepted(cli, tmp_path):
    import onnx
    from onnx import TensorProto, helper

    inp = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 192])
    graph = helper.make_graph([helper.make_node("Flatten", ["x"], ["y"])], "g", [inp], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(tmp_path / "classifier.onnx"))
    r = cli("models", tmp_path / "classifier.onnx")
    assert r.returncode == 2 and r.stdout == ""
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "classifier.onnx: outputs do not fit" in err
    assert "outputs: y [1, 192] tensor(float)" in err and "pixelwise accepts semantic:" in err and "end2end" in err


def _refused_model(tmp_path, kind):
    """A uint8-input model, or one whose output is 0x0: both must be refused when loaded."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = []
    if kind == "uint8":
        inp = helper.make_tensor_value_info("input", TensorProto.UINT8, [1, 3, 8, 8])
        node = helper.make_node("Cast", ["input"], ["logits"], to=TensorProto.FLOAT)
    else:
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
        node = helper.make_node("Slice", ["input", "st", "en", "ax"], ["logits"])
        inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in
                 (("st", [0, 0]), ("en", [0, 0]), ("ax", [2, 3]))]
    out = helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3, None, None])
    model = helper.make_model(helper.make_graph([node], "g", [inp], [out], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / f"{kind}.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("kind, message", [("uint8", "is not float32"), ("empty", "is empty (a 0-sized dimension)")])
def test_refused_models_exit_2_in_one_line_naming_the_file(cli, tmp_path, colour_image, kind, message):
    from PIL import Image

    path = _refused_model(tmp_path, kind)
    Image.fromarray(colour_image).save(tmp_path / "a.png")
    for args in (("models", path), ("predict", tmp_path / "a.png", "--model", path, "--out", tmp_path / "out")):
        r = cli(*args)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], r.stderr
    assert not (tmp_path / "out").exists()  # refused at load, before any image


def _people_model(tmp_path, scores):
    from tests.builders import make_semantic_onnx

    spec = {"adapter": "semantic", "input_hw": [64, 96], "classes": ["background", "person"], "dynamic": True,
            "name": "people", "scores": scores}
    return make_semantic_onnx(tmp_path / "people.onnx", spec=spec)


def test_models_shows_a_people_models_person_iou_not_its_miou(tmp_path, capsys):
    from pixelwise.cli.main import main

    scores = {"val_miou": 86.0, "val_iou": {"background": 94.0, "person": 78.04}, "val_pixel_accuracy": 95.2,
              "val_images": 200, "heldout": {"voc_person_iou": 75.1, "coco_person_iou": 66.3},
              "measured_with": "onnxruntime via pixelwise.validate"}
    assert main(["models", str(_people_model(tmp_path, scores))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("2 classes, val person IoU 78.0")
    assert out[2] == ("  scores: val mIoU 86.0, person IoU 78.0, pixel accuracy 95.2%, on 200 val images, "
                      "heldout.voc_person_iou 75.1, heldout.coco_person_iou 66.3")
    assert out[3] == "  val IoU per class: background 94.0, person 78.0"


def test_models_says_when_scores_were_not_measured(tmp_path, capsys):
    from pixelwise.cli.main import main

    assert main(["models", str(_people_model(tmp_path, {"val_miou": None, "val_iou": None}))]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("2 classes") and out[2] == "  scores: not measured"


def test_models_lists_the_default_models_scores(cli, default_model_path):
    r = cli("models")
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("  scores: val mIoU"))
    assert "pedestrian IoU" in line and "pixel accuracy" in line and "val images" in line
