"""``--backend auto``: measured choice among installed paths, agreement checks, the cache."""

import json

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.engine import auto
from pixelwise.engine.auto import AutoConfig, Choice, agreement, candidates, check_images, select_backend
from pixelwise.engine.backends import SessionConfig, is_installed
from pixelwise.errors import ModelError
from pixelwise.io.image import atomic_write_bytes
from pixelwise.result import Instances, Result
from pixelwise.spec import ModelSpec
from tests.builders import make_semantic_onnx

HAS_OPENVINO = is_installed("openvino")
needs_openvino = pytest.mark.skipif(not HAS_OPENVINO,
                                    reason="openvino not installed (pip install 'pixelwise[openvino]')")
SPEC = ModelSpec(adapter="semantic", input_hw=(8, 8), classes=("a", "b"))


def _auto(tmp_path, images=None, **kw):
    calls = []

    def imgs():
        calls.append(1)
        return images if images is not None else check_images(_scene())

    return AutoConfig(cache_dir=tmp_path / "auto", images=imgs, save=atomic_write_bytes, **kw), calls


def _scene():
    img = np.zeros((60, 90, 3), np.uint8)
    img[:, :45] = (240, 20, 20)
    img[:, 45:] = (20, 20, 240)
    img[20:40, 30:60] = (20, 240, 20)
    return img


def test_candidates_put_the_reference_first_and_follow_the_filters():
    c = candidates("fp32")
    assert c[0] == ("onnxruntime", "fp32")
    assert (("openvino", "fp32") in c) == HAS_OPENVINO
    assert candidates("fp32", backend="onnxruntime") == [("onnxruntime", "fp32")]
    assert candidates("int8")[0] == ("onnxruntime", "int8") and all(p == "int8" for _, p in candidates("int8"))
    assert candidates("fp32", precision="int8") == []


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


@needs_openvino
def test_first_use_measures_and_caches_then_reuses(rgb_model, tmp_path):
    cfg, calls = _auto(tmp_path)
    session, spec, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.measured and choice.reference == "onnxruntime/fp32" and calls == [1]
    assert set(choice.bare_ms) == {"onnxruntime/fp32", "openvino/fp32"}
    assert choice.agreement == {"openvino/fp32": 1.0}
    assert f"{session.backend}/{session.precision}" == choice.label and spec.name == "rgb"
    files = list((tmp_path / "auto").glob("rgb-*.json"))
    assert len(files) == 1 and files[0].stem == choice.key
    saved = json.loads(files[0].read_text())
    assert saved["backend"] == choice.backend and saved["bare_ms"] == choice.bare_ms and saved["cpu"]
    again, _, cached = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert calls == [1] and cached == choice  # no second measurement
    other = make_semantic_onnx(tmp_path / "other.onnx", pool=2, spec={**spec.to_dict(), "name": "other"})
    select_backend(other, SessionConfig(threads=1), cfg)
    assert calls == [1, 1] and len(list((tmp_path / "auto").glob("*.json"))) == 2  # keyed by the model's sha256


@needs_openvino
def test_a_candidate_that_disagrees_is_rejected(rgb_model, tmp_path, monkeypatch):
    monkeypatch.setattr(auto, "MIN_PIXEL_AGREEMENT", 1.01)  # nothing can agree this well
    cfg, _ = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "onnxruntime/fp32" and session.backend == "onnxruntime"
    assert "agreement 100.00% with onnxruntime/fp32 is below the bar" in choice.rejected["openvino/fp32"]
    assert set(choice.bare_ms) == {"onnxruntime/fp32"}


@needs_openvino
@pytest.mark.parametrize("margin", [-100.0, 1.0])
def test_the_fastest_agreeing_path_wins_beyond_the_margin(rgb_model, tmp_path, monkeypatch, margin):
    monkeypatch.setattr(auto, "MARGIN", margin)
    cfg, _ = _auto(tmp_path)
    _, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    if margin == 1.0:  # a candidate would have to take no time at all
        assert choice.label == "onnxruntime/fp32"
    else:  # any path that is faster in the paired rounds wins
        assert choice.label == max(choice.speedup, key=choice.speedup.get)
        assert choice.speedup["onnxruntime/fp32"] == 1.0 and set(choice.speedup) == set(choice.bare_ms)


@needs_openvino
def test_only_openvino_precisions_when_asked_for_openvino(rgb_model, tmp_path):
    cfg, _ = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg, backend="openvino")
    assert session.backend == "openvino" and choice.backend == "openvino"


def test_self_check_off_runs_the_reference_and_writes_nothing(rgb_model, tmp_path):
    cfg, calls = _auto(tmp_path, self_check=False)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert session.backend == "onnxruntime" and choice.label == "onnxruntime/fp32" and not choice.measured
    assert calls == [] and not (tmp_path / "auto").exists()


def test_impossible_requests_are_refused(rgb_model, tmp_path):
    cfg, _ = _auto(tmp_path)
    with pytest.raises(ModelError, match="no installed backend runs this fp32 file at int8"):
        select_backend(rgb_model, SessionConfig(precision="int8"), cfg)
    with pytest.raises(ModelError, match="unknown backend 'tpu'"):
        pw.Segmenter(rgb_model, backend="tpu")
    with pytest.raises(ModelError, match="unknown precision 'fp8'"):
        pw.Segmenter(rgb_model, precision="fp8")


def test_segmenter_defaults_to_auto_and_reports_its_choice(rgb_model, colour_image, tmp_path):
    seg = pw.Segmenter(rgb_model, threads=1, cache_dir=tmp_path)
    res = seg(colour_image)
    assert res.backend == seg.backend_choice.label
    assert (res.semantic == pw.Segmenter(rgb_model, backend="onnxruntime")(colour_image).semantic).mean() >= 0.995
    if HAS_OPENVINO:
        assert seg.backend_choice.measured and list((tmp_path / "auto").glob("rgb-*.json"))
        assert list((tmp_path / "openvino").iterdir())  # compiled-model cache beside it


def test_choice_round_trips_through_json():
    c = Choice("openvino", "bf16", "onnxruntime/fp32", {"openvino/bf16": 0.998}, {"openvino/bf16": 8.5}, {}, "CPU",
               True, "k")
    assert Choice.from_json(c.to_json()) == c
    assert "openvino/bf16 (measured; bare openvino/bf16 8.5 ms; agreement with onnxruntime/fp32" in c.summary()


@needs_openvino
def test_default_model_first_use_self_check(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PIXELWISE_CACHE": str(tmp_path)}
    code = ("import time, pixelwise as pw\nt = time.perf_counter()\ns = pw.Segmenter(threads=2)\n"
            "print(round(time.perf_counter() - t, 2), s.backend_choice.label, s.backend_choice.measured)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    seconds, label, measured = out.split()
    assert measured == "True" and label in ("onnxruntime/fp32", "openvino/fp32", "openvino/bf16", "openvino/fp16")
    assert len(list((tmp_path / "auto").glob("pwnet_camvid-*.json"))) == 1
    print(f"default model first-use self-check: {seconds} s -> {label}")


def test_models_command_shows_the_cached_choice(rgb_model, tmp_path):
    from tests.conftest import run_cli_in_process

    def models():
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PIXELWISE_CACHE", str(tmp_path))
            r = run_cli_in_process("models", str(rgb_model))
        assert r.returncode == 0, r.stderr
        return r.stdout

    if HAS_OPENVINO:
        assert "backend (auto): not measured yet (on first use)" in models()
    choice = pw.Segmenter(rgb_model, threads=1, cache_dir=tmp_path).backend_choice
    if HAS_OPENVINO:
        assert f"backend (auto): {choice.label} (measured; bare " in models()
    else:
        assert "backend (auto): onnxruntime/fp32 (the only installed path for this file)" in models()


def test_without_openvino_auto_is_onnxruntime_without_a_measurement(rgb_model, colour_image, tmp_path, monkeypatch):
    monkeypatch.setattr(auto, "installed_backends", lambda: ("onnxruntime", "opencv"))
    cfg, calls = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert session.backend == "onnxruntime" and not choice.measured and calls == []
    assert choice.summary() == "onnxruntime/fp32 (the only installed path for this file)"
    assert not (tmp_path / "auto").exists()


@pytest.mark.parametrize("cand, expected", [
    ([8.0] * 5, "openvino/fp32"),  # 1.25x faster in every round
    ([9.5] * 5, "onnxruntime/fp32"),  # 5% faster: below the 10% margin
    ([5.0, 5.0, 5.0, 14.0, 14.0], "onnxruntime/fp32"),  # 2x faster in 3 rounds of 5 only: not in most rounds
    ([5.0, 5.0, 5.0, 5.0, 14.0], "openvino/fp32"),  # 4 rounds of 5
])
def test_pick_needs_the_margin_in_the_median_and_in_most_paired_rounds(cand, expected):
    times = {"onnxruntime/fp32": [10.0] * 5, "openvino/fp32": cand}
    speedup = {k: float(np.median(np.divide(times["onnxruntime/fp32"], v))) for k, v in times.items()}
    assert auto._pick(list(times), speedup, times, "onnxruntime/fp32") == expected


def test_pick_without_the_reference_takes_the_fastest():
    times = {"onnxruntime/fp32": [10.0] * 3, "openvino/fp32": [12.0] * 3, "openvino/bf16": [6.0] * 3}
    speedup = {k: 10.0 / v[0] for k, v in times.items()}
    assert auto._pick(["openvino/fp32", "openvino/bf16"], speedup, times, "onnxruntime/fp32") == "openvino/bf16"
