"""``--backend auto``: measured choice among installed paths, agreement checks, the cache."""

import json
import time

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.engine import auto, selfcheck
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
    assert set(choice.bare_ms) == set(choice.rounds) == {"onnxruntime/fp32", "openvino/fp32"}
    assert 1 <= choice.rounds["openvino/fp32"] <= choice.rounds["onnxruntime/fp32"] <= 5
    if choice.label == "openvino/fp32":  # it won the race, so its answers were checked
        assert choice.agreement == {"openvino/fp32": 1.0}
    else:  # it lost: no agreement check was needed
        assert choice.agreement == {} and "10% faster than onnxruntime/fp32 in " in choice.rejected["openvino/fp32"]
        assert "4 of 5 needed" in choice.rejected["openvino/fp32"]
    assert {"open onnxruntime/fp32", "open openvino/fp32", "warm-up", "paired rounds", "total"} <= set(choice.check_ms)
    assert choice.check_ms["total"] >= choice.check_ms["paired rounds"] > 0
    assert f"{session.backend}/{session.precision}" == choice.label and spec.name == "rgb"
    files = list((tmp_path / "auto").glob("rgb-*.json"))
    assert len(files) == 1 and files[0].stem == choice.key
    assert [f.name for f in (tmp_path / "auto").iterdir()] == [files[0].name]  # the atomic writer left no temp file
    saved = json.loads(files[0].read_text())
    assert saved["backend"] == choice.backend and saved["bare_ms"] == choice.bare_ms and saved["cpu"]
    again, _, cached = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert calls == [1] and cached == choice  # no second measurement
    other = make_semantic_onnx(tmp_path / "other.onnx", pool=2, spec={**spec.to_dict(), "name": "other"})
    select_backend(other, SessionConfig(threads=1), cfg)
    assert calls == [1, 1] and len(list((tmp_path / "auto").glob("*.json"))) == 2  # keyed by the model's sha256


@needs_openvino
@pytest.mark.parametrize("content", ["{not json", "", "[1, 2]", "null", '{"backend": "openvino"}',
                                     '{"backend": "tpu", "precision": "fp32", "reference": "x", "measured": true}'])
def test_a_corrupt_cache_file_is_ignored_and_measured_again(rgb_model, tmp_path, content):
    cfg, calls = _auto(tmp_path)
    _, _, first = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    path = tmp_path / "auto" / f"{first.key}.json"
    path.write_text(content)
    _, _, again = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert calls == [1, 1] and again.measured and again.key == first.key
    assert Choice.from_json(path.read_text()) == again  # rewritten whole


@needs_openvino
def test_an_unwritable_cache_warns_and_still_runs(rgb_model, tmp_path):
    (tmp_path / "auto").write_text("a file where the cache directory should be")
    cfg, calls = _auto(tmp_path)
    with pytest.warns(UserWarning, match="auto's choice is not cached .*cannot write.*measured again on the next"):
        session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.measured and session.backend == choice.backend


def _slowed(session, seconds):
    """A real session whose every run takes ``seconds`` longer (for the race only)."""
    run = session.run

    def slow_run(feed, outputs=None):
        time.sleep(seconds)
        return run(feed, outputs)

    session.run = slow_run
    return session


@needs_openvino
def test_a_slow_candidate_leaves_the_race_after_two_rounds_unchecked(rgb_model, tmp_path, monkeypatch):
    real = selfcheck.open_backend
    monkeypatch.setattr(selfcheck, "open_backend", lambda m, c, b: _slowed(real(m, c, b), 0.05))
    cfg, _ = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "onnxruntime/fp32" and session.backend == "onnxruntime"
    assert choice.rounds == {"onnxruntime/fp32": 2, "openvino/fp32": 2} and choice.agreement == {}
    assert choice.bare_ms["openvino/fp32"] >= 50 and choice.speedup["openvino/fp32"] < 0.5
    assert choice.rejected["openvino/fp32"].startswith("10% faster than onnxruntime/fp32 in 0 of 2 paired rounds, 4 "
                                                       "of 5 needed (median 0.")
    assert "reference results" not in choice.check_ms  # nothing needed checking


@needs_openvino
def test_a_faster_candidate_is_checked_before_it_is_chosen(rgb_model, tmp_path, monkeypatch):
    real = auto.open_backend
    monkeypatch.setattr(auto, "open_backend", lambda m, c, b: _slowed(real(m, c, b), 0.05))  # the baseline
    cfg, _ = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "openvino/fp32" and session.backend == "openvino"
    assert choice.rounds["openvino/fp32"] == 4 and choice.agreement == {"openvino/fp32": 1.0}
    assert choice.check_ms["reference results"] > 0 and choice.check_ms["agreement openvino/fp32"] > 0


@needs_openvino
def test_an_instance_model_s_winner_must_find_the_same_detections(tmp_path, monkeypatch):
    from tests.builders import make_yolo_onnx

    dets = [(20, 20, 16, 16, 0, 0.9), (44, 40, 12, 20, 1, 0.8)]
    model = make_yolo_onnx(tmp_path / "dets.onnx", ("car", "person"), dets)
    real = auto.open_backend
    monkeypatch.setattr(auto, "open_backend", lambda m, c, b: _slowed(real(m, c, b), 0.05))  # OpenVINO wins the race
    cfg, _ = _auto(tmp_path)
    session, spec, choice = select_backend(model, SessionConfig(threads=1), cfg)
    assert spec.adapter == "yolo_seg" and choice.label == "openvino/fp32" == f"{session.backend}/{session.precision}"
    assert choice.agreement == {"openvino/fp32": 1.0}  # both detections matched at box IoU >= 0.99
    monkeypatch.setattr(selfcheck, "MIN_BOX_IOU", 1.5)  # no box can match this well
    compared = []
    real_agreement = selfcheck.agreement
    monkeypatch.setattr(selfcheck, "agreement", lambda *a: compared.append(1) or real_agreement(*a))
    cfg, _ = _auto(tmp_path / "again")
    _, _, strict = select_backend(model, SessionConfig(threads=1), cfg)
    assert strict.label == "onnxruntime/fp32" and strict.agreement == {"openvino/fp32": 0.0}
    assert compared == [1]  # the check stopped at the first of the 3 check images


@needs_openvino
def test_a_candidate_that_disagrees_is_rejected(rgb_model, tmp_path, monkeypatch):
    monkeypatch.setattr(selfcheck, "MIN_PIXEL_AGREEMENT", 1.01)  # nothing can agree this well
    real = auto.open_backend
    monkeypatch.setattr(auto, "open_backend", lambda m, c, b: _slowed(real(m, c, b), 0.05))  # OpenVINO wins the race
    cfg, _ = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.label == "onnxruntime/fp32" and session.backend == "onnxruntime"
    assert "agreement 100.00% with onnxruntime/fp32 is below the bar" in choice.rejected["openvino/fp32"]
    assert choice.agreement == {"openvino/fp32": 1.0}


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


def test_the_cache_key_names_the_model_the_cpu_the_versions_and_what_was_asked(rgb_model, tmp_path, monkeypatch):
    cfg = AutoConfig(cache_dir=tmp_path)
    key = auto.cache_file(rgb_model, cfg, ["openvino"])
    assert key == auto.cache_file(rgb_model, cfg, ["onnxruntime", "openvino"])  # the baseline is always in it
    assert key != auto.cache_file(rgb_model, cfg, ["openvino"], "openvino/auto")  # an OpenVINO-only measurement
    assert key != auto.cache_file(rgb_model, cfg, ["openvino"], "auto/fp32")
    monkeypatch.setattr(auto, "_version", lambda b: "0.0-other")
    assert key != auto.cache_file(rgb_model, cfg, ["openvino"])
    monkeypatch.undo()
    monkeypatch.setattr(auto, "cpu_info", lambda: {"model": "Other CPU", "flags": ["avx2"], "simd": ["avx2"]})
    assert key.name.startswith("rgb-") and key != auto.cache_file(rgb_model, cfg, ["openvino"])


def test_the_cached_path_imports_no_runtime_it_does_not_run(rgb_model, tmp_path, monkeypatch):
    import subprocess
    import sys

    monkeypatch.setattr(auto, "MARGIN", 1.0)  # ONNX Runtime is the cached choice
    choice = pw.Segmenter(rgb_model, threads=1, cache_dir=tmp_path).backend_choice
    code = (f"import sys, pixelwise as pw\n"
            f"s = pw.Segmenter({str(rgb_model)!r}, threads=1, cache_dir={str(tmp_path)!r})\n"
            "print(s.backend_choice.to_json()); print('openvino' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    cached, imported = out.rsplit("\n", 2)[0], out.split()[-1]
    assert imported == "False"
    if HAS_OPENVINO:
        assert choice.measured and Choice.from_json(cached) == choice


@needs_openvino
def test_only_openvino_precisions_when_asked_for_openvino(rgb_model, tmp_path):
    cfg, _ = _auto(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg, backend="openvino")
    assert session.backend == "openvino" and choice.backend == "openvino"


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
    cfg, _ = _auto(tmp_path)
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
        select_backend(rgb_model, SessionConfig(threads=1), _auto(tmp_path / "a")[0], backend="openvino")
    _openvino_offers_bf16(monkeypatch, refuse=("bf16", "fp32"))
    with pytest.raises(ModelError, match=r"no candidate path opens here \(fp32 refused here \(test\); bf16 refused "
                                         r"here \(test\)\); use --backend onnxruntime$"):
        select_backend(rgb_model, SessionConfig(threads=1), _auto(tmp_path / "b")[0], backend="openvino")


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
    code = ("import json, time, pixelwise as pw\nt = time.perf_counter()\ns = pw.Segmenter(threads=2)\n"
            "c = s.backend_choice\nprint(round(time.perf_counter() - t, 2), c.label, c.measured)\n"
            "print(json.dumps([c.check_ms, c.rounds]))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    first, phases = out.strip().splitlines()
    seconds, label, measured = first.split()
    check_ms, rounds = json.loads(phases)
    assert measured == "True" and label in ("onnxruntime/fp32", "openvino/fp32", "openvino/bf16", "openvino/fp16")
    assert len(list((tmp_path / "auto").glob("pwnet_camvid-*.json"))) == 1
    assert check_ms["total"] > 0 and 2 <= rounds["openvino/fp32"] <= 5
    print(f"default model first-use self-check: {seconds} s -> {label}; phases {check_ms}")


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


def test_int8_without_vnni_is_not_a_candidate_unless_forced(monkeypatch):
    monkeypatch.setattr(auto, "has_vnni", lambda: False)
    assert candidates("int8") == [("onnxruntime", "int8")]
    if HAS_OPENVINO:
        assert "need VNNI" in auto.refused_here("int8")["openvino/int8"]
        assert candidates("int8", force=True) == [("onnxruntime", "int8"), ("openvino", "int8")]
        assert candidates("int8", backend="openvino") == [("openvino", "int8")]  # asked by name: the backend refuses
        c = auto._unmeasured(("onnxruntime", "int8"), "int8")
        assert c.summary().startswith("onnxruntime/int8 (the only path for this file here; openvino/int8: OpenVINO")
    monkeypatch.setattr(auto, "has_vnni", lambda: True)
    assert auto.refused_here("int8") == {}
