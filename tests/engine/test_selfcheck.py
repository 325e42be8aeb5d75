"""auto's first-use self-check: agreement of results, the race's effect, what is checked and refused."""

from dataclasses import replace

import numpy as np
import pytest

from pixelwise.engine import auto, selfcheck
from pixelwise.engine.auto import select_backend
from pixelwise.engine.backends import SessionConfig
from pixelwise.engine.selfcheck import agreement, check_images
from pixelwise.errors import ModelError
from pixelwise.result import Instances, Result
from pixelwise.spec import ModelSpec
from tests.engine.auto_setup import auto_config, needs_openvino, slowed

pytestmark = pytest.mark.usefixtures("cpu_without_bf16")  # the same candidates on every CPU

SPEC = ModelSpec(adapter="semantic", input_hw=(8, 8), classes=("a", "b"))


def test_check_images_are_the_image_and_deterministic_crops():
    img = np.arange(120 * 160 * 3, dtype=np.uint8).reshape(120, 160, 3)
    a, b = check_images(img), check_images(img)
    assert len(a) == 3 and a[0] is img and all(x.flags.c_contiguous for x in a)
    assert [x.shape for x in a] == [(120, 160, 3), (90, 80, 3), (61, 106, 3)]
    assert all((x == y).all() for x, y in zip(a, b))


def test_semantic_agreement_is_the_share_of_equal_pixels():
    img = np.zeros((10, 10, 3), np.uint8)
    sem = np.zeros((10, 10), np.uint8)
    other = sem.copy()
    other[0, :3] = 1
    a = Result(image=img, semantic=sem, spec=SPEC)
    assert agreement(a, a, "semantic") == 1.0
    assert agreement(a, Result(image=img, semantic=other, spec=SPEC), "semantic") == pytest.approx(0.97)


def _inst(boxes, classes):
    from pixelwise.ops.masks import CroppedMasks

    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return Instances(boxes, np.asarray(classes, np.int32), np.full(len(boxes), 0.9, np.float32),
                     CroppedMasks.empty((100, 100)) if not len(boxes) else
                     CroppedMasks.from_labels(np.zeros((100, 100), np.int32), boxes))


@pytest.mark.parametrize("other, classes, expected", [
    ([[10, 10, 50, 50], [60, 60, 90, 90]], [0, 1], 1.0),  # the same detections
    ([[60, 60, 90, 90], [10, 10, 50, 50]], [1, 0], 1.0),  # in another order
    ([[10, 10, 50, 50], [60, 60, 90, 91]], [0, 1], 0.5),  # one box moved: IoU 0.968 < 0.99
    ([[10, 10, 50, 50], [60, 60, 90, 90]], [0, 0], 0.5),  # one class changed
    ([[10, 10, 50, 50]], [0], 0.5),  # one detection lost
    ([], [], 0.0),
])
def test_instance_agreement_matches_boxes_at_iou_099(other, classes, expected):
    img = np.zeros((100, 100, 3), np.uint8)
    sem = np.full((100, 100), 255, np.uint8)
    spec = ModelSpec(adapter="yolo_seg", input_hw=(64, 64), classes=("a", "b"))
    ref = Result(image=img, semantic=sem, spec=spec, instances=_inst([[10, 10, 50, 50], [60, 60, 90, 90]], [0, 1]))
    got = Result(image=img, semantic=sem, spec=spec, instances=_inst(other, classes))
    assert agreement(ref, got, "instance") == pytest.approx(expected)


def test_instance_agreement_without_detections_on_one_side_or_both():
    img = np.zeros((100, 100, 3), np.uint8)
    sem = np.full((100, 100), 255, np.uint8)
    spec = ModelSpec(adapter="yolo_seg", input_hw=(64, 64), classes=("a", "b"))
    empty = Result(image=img, semantic=sem, spec=spec, instances=_inst([], []))
    found = Result(image=img, semantic=sem, spec=spec, instances=_inst([[10, 10, 50, 50]], [0]))
    assert agreement(empty, empty, "instance") == 1.0  # nothing to find, nothing found: full agreement
    assert agreement(empty, found, "instance") == 0.0 == agreement(found, empty, "instance")


def _slow_baseline(monkeypatch, seconds=0.05):
    """The reference session (opened by auto, the race's baseline) takes ``seconds`` longer per run."""
    real = auto.open_backend
    monkeypatch.setattr(auto, "open_backend", lambda m, c, b: slowed(real(m, c, b), seconds))


@needs_openvino
def test_a_slow_candidate_leaves_the_race_after_two_rounds_unchecked(rgb_model, tmp_path, monkeypatch):
    real = selfcheck.open_backend
    monkeypatch.setattr(selfcheck, "open_backend", lambda m, c, b: slowed(real(m, c, b), 0.05))
    cfg, _ = auto_config(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "onnxruntime/fp32" and session.backend == "onnxruntime"
    assert choice.rounds == {"onnxruntime/fp32": 2, "openvino/fp32": 2} and choice.agreement == {}
    assert choice.bare_ms["openvino/fp32"] >= 50 and choice.speedup["openvino/fp32"] < 0.5
    assert choice.rejected["openvino/fp32"].startswith("10% faster than onnxruntime/fp32 in 0 of 2 paired rounds, 4 "
                                                       "of 5 needed (median 0.")
    assert "reference results" not in choice.check_ms  # nothing needed checking


@needs_openvino
def test_a_faster_candidate_is_checked_before_it_is_chosen(rgb_model, tmp_path, monkeypatch):
    _slow_baseline(monkeypatch)
    cfg, _ = auto_config(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "openvino/fp32" and session.backend == "openvino"
    assert choice.rounds["openvino/fp32"] == 4 and choice.agreement == {"openvino/fp32": 1.0}
    assert choice.check_ms["reference results"] > 0 and choice.check_ms["agreement openvino/fp32"] > 0


@needs_openvino
def test_of_two_winners_the_slower_is_not_checked_and_says_why(rgb_model, tmp_path, monkeypatch):
    from pixelwise.engine.backends import openvino as ov_backend

    monkeypatch.setattr(ov_backend, "cpu_precisions", lambda: ("fp32", "bf16", "int8"))
    _slow_baseline(monkeypatch, 0.06)
    real = selfcheck.open_backend
    monkeypatch.setattr(selfcheck, "open_backend",  # "bf16": an FP32 session 20 ms slower, still a winner
                        lambda m, c, b: slowed(real(m, replace(c, precision="fp32"), b), 0.02) if c.precision == "bf16"
                        else real(m, c, b))
    cfg, _ = auto_config(tmp_path)
    _, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "openvino/fp32" and choice.rounds["openvino/bf16"] == 5  # two winners: every round ran
    assert choice.agreement == {"openvino/fp32": 1.0}  # the faster winner agreed: the other needed no check
    assert choice.rejected["openvino/bf16"].startswith("openvino/fp32 is faster and agrees (")


@needs_openvino
def test_an_instance_model_s_winner_must_find_the_same_detections(tmp_path, monkeypatch):
    from tests.builders import make_yolo_onnx

    dets = [(20, 20, 16, 16, 0, 0.9), (44, 40, 12, 20, 1, 0.8)]
    model = make_yolo_onnx(tmp_path / "dets.onnx", ("car", "person"), dets)
    _slow_baseline(monkeypatch)  # OpenVINO wins the race
    cfg, _ = auto_config(tmp_path)
    session, spec, choice = select_backend(model, SessionConfig(threads=1), cfg)
    assert spec.adapter == "yolo_seg" and choice.label == "openvino/fp32" == f"{session.backend}/{session.precision}"
    assert choice.agreement == {"openvino/fp32": 1.0}  # both detections matched at box IoU >= 0.99
    monkeypatch.setattr(selfcheck, "MIN_BOX_IOU", 1.5)  # no box can match this well
    compared = []
    real_agreement = selfcheck.agreement
    monkeypatch.setattr(selfcheck, "agreement", lambda *a: compared.append(1) or real_agreement(*a))
    cfg, _ = auto_config(tmp_path / "again")
    _, _, strict = select_backend(model, SessionConfig(threads=1), cfg)
    assert strict.label == "onnxruntime/fp32" and strict.agreement == {"openvino/fp32": 0.0}
    assert compared == [1]  # the check stopped at the first of the 3 check images


@needs_openvino
def test_an_instance_check_counts_detections_below_the_usual_threshold(tmp_path, monkeypatch):
    from tests.builders import make_yolo_onnx

    faint = make_yolo_onnx(tmp_path / "faint.onnx", ("car",), [(20, 20, 16, 16, 0, 0.1)])  # below --conf 0.25
    _slow_baseline(monkeypatch)
    real_agreement, seen = selfcheck.agreement, []
    monkeypatch.setattr(selfcheck, "agreement",
                        lambda a, b, k: seen.append(len(a.instances)) or real_agreement(a, b, k))
    _, _, choice = select_backend(faint, SessionConfig(threads=1), auto_config(tmp_path)[0])
    assert choice.label == "openvino/fp32" and seen == [1, 1, 1]  # the faint box was compared on every check image


@needs_openvino
def test_a_reduced_precision_needs_detections_to_compare(tmp_path, monkeypatch):
    from pixelwise.engine.backends import openvino as ov_backend
    from tests.builders import make_yolo_onnx

    monkeypatch.setattr(ov_backend, "cpu_precisions", lambda: ("fp32", "bf16", "int8"))
    real = selfcheck.open_backend

    def bf16_only(model, config, backend):  # OpenVINO's only path: "bf16" (an FP32 session here)
        if config.precision == "fp32":
            raise ModelError("fp32 refused here (test)")
        return real(model, replace(config, precision="fp32"), backend)

    monkeypatch.setattr(selfcheck, "open_backend", bf16_only)
    _slow_baseline(monkeypatch)  # so "bf16" wins the race
    blank = make_yolo_onnx(tmp_path / "blank.onnx", ("car",), [])
    _, _, choice = select_backend(blank, SessionConfig(threads=1), auto_config(tmp_path / "a")[0])
    assert choice.label == "onnxruntime/fp32" and choice.agreement == {"openvino/bf16": 1.0}
    assert choice.rejected["openvino/bf16"] == ("the check images show no detection (score >= 0.05), so its bf16 "
                                                "answers could not be compared with onnxruntime/fp32's")
    found = make_yolo_onnx(tmp_path / "found.onnx", ("car",), [(20, 20, 16, 16, 0, 0.9)])
    _, _, choice = select_backend(found, SessionConfig(threads=1), auto_config(tmp_path / "b")[0])
    assert choice.label == "openvino/bf16" and choice.agreement == {"openvino/bf16": 1.0}


@needs_openvino
def test_a_candidate_that_disagrees_is_rejected(rgb_model, tmp_path, monkeypatch):
    monkeypatch.setattr(selfcheck, "MIN_PIXEL_AGREEMENT", 1.01)  # nothing can agree this well
    _slow_baseline(monkeypatch)  # OpenVINO wins the race
    cfg, _ = auto_config(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "onnxruntime/fp32" and session.backend == "onnxruntime"
    assert "agreement 100.00% with onnxruntime/fp32 is below the bar" in choice.rejected["openvino/fp32"]
    assert choice.agreement == {"openvino/fp32": 1.0}


def _openvino_offers_bf16(monkeypatch, refuse=("bf16",)):
    """OpenVINO's CPU plugin lists bf16 (as on an AVX512-BF16 CPU); opening a precision in ``refuse`` fails."""
    from pixelwise.engine.backends import openvino as ov_backend

    monkeypatch.setattr(ov_backend, "cpu_precisions", lambda: ("fp32", "bf16", "int8"))
    real = selfcheck.open_backend

    def open_or_refuse(model, config, backend):
        if config.precision in refuse:
            raise ModelError(f"{config.precision} refused here (test)")
        return real(model, config, backend)

    monkeypatch.setattr(selfcheck, "open_backend", open_or_refuse)


@needs_openvino
def test_openvino_only_races_its_own_precisions_and_checks_them_against_onnxruntime(rgb_model, tmp_path, monkeypatch):
    _openvino_offers_bf16(monkeypatch)
    cfg, _ = auto_config(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg, backend="openvino")
    assert choice.measured and choice.label == "openvino/fp32" == f"{session.backend}/{session.precision}"
    assert choice.reference == "onnxruntime/fp32" and set(choice.bare_ms) == {"openvino/fp32"}
    assert choice.agreement == {"openvino/fp32": 1.0}  # the baseline too is checked: it is not the reference
    assert choice.rejected == {"openvino/bf16": "bf16 refused here (test)"}


@needs_openvino
def test_openvino_only_refuses_in_one_line_when_no_precision_opens_or_agrees(rgb_model, tmp_path, monkeypatch):
    _openvino_offers_bf16(monkeypatch)
    monkeypatch.setattr(selfcheck, "MIN_PIXEL_AGREEMENT", 1.01)  # nothing can agree this well
    with pytest.raises(ModelError, match=r"keeps the model's answers \(bf16 refused here \(test\); agreement 100.00"
                                         r"% with onnxruntime/fp32 is below the bar\); use --backend onnxruntime$"):
        select_backend(rgb_model, SessionConfig(threads=1), auto_config(tmp_path / "a")[0], backend="openvino")
    _openvino_offers_bf16(monkeypatch, refuse=("bf16", "fp32"))
    with pytest.raises(ModelError, match=r"no candidate path opens here \(fp32 refused here \(test\); bf16 refused "
                                         r"here \(test\)\); use --backend onnxruntime$"):
        select_backend(rgb_model, SessionConfig(threads=1), auto_config(tmp_path / "b")[0], backend="openvino")


@needs_openvino
@pytest.mark.parametrize("precision", ["auto", "int8"])
def test_openvino_on_an_int8_file_is_checked_against_onnxruntime(tmp_path, monkeypatch, precision):
    from pixelwise.engine.auto import open_model
    from pixelwise.engine.backends import openvino as ov_backend
    from tests.builders import make_qdq_onnx

    monkeypatch.setattr(ov_backend, "has_vnni", lambda: True)  # not refused outright: measured
    qdq = make_qdq_onnx(tmp_path / "rgb_int8.onnx")
    cfg, calls = auto_config(tmp_path / "a")
    session, _, choice = open_model(qdq, SessionConfig(threads=1), backend="openvino", precision=precision, auto=cfg)
    assert choice.label == "openvino/int8" == f"{session.backend}/{session.precision}" and calls == [1]
    assert choice.measured and choice.reference == "onnxruntime/int8" and choice.agreement["openvino/int8"] >= 0.995
    monkeypatch.setattr(selfcheck, "MIN_PIXEL_AGREEMENT", 1.01)  # as OpenVINO's kernels on the default INT8 model
    with pytest.raises(ModelError, match=r"no candidate path keeps the model's answers \(agreement [\d.]+% with "
                                         r"onnxruntime/int8 is below the bar\); use --backend onnxruntime$"):
        open_model(qdq, SessionConfig(threads=1), backend="openvino", precision=precision,
                   auto=auto_config(tmp_path / "b")[0])
