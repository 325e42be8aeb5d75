"""``--backend auto``: candidates, the cache and its key, what is imported, the CLI's view of the choice.

The self-check itself (race, agreement) is tested in test_selfcheck.py and test_race.py.
"""

import json

import pytest

import pixelwise as pw
from pixelwise.engine import auto
from pixelwise.engine.auto import AutoConfig, Choice, candidates, select_backend
from pixelwise.engine.backends import SessionConfig
from pixelwise.errors import ModelError
from tests.builders import make_semantic_onnx
from tests.engine.auto_setup import HAS_OPENVINO, auto_config, needs_openvino

pytestmark = pytest.mark.usefixtures("cpu_without_bf16")  # the same candidates on every CPU


def test_candidates_put_the_reference_first_and_follow_the_filters():
    c = candidates("fp32")
    assert c[0] == ("onnxruntime", "fp32")
    assert (("openvino", "fp32") in c) == HAS_OPENVINO
    assert candidates("fp32", backend="onnxruntime") == [("onnxruntime", "fp32")]
    assert candidates("int8")[0] == ("onnxruntime", "int8") and all(p == "int8" for _, p in candidates("int8"))
    assert candidates("fp32", precision="int8") == []


@needs_openvino
def test_first_use_measures_and_caches_then_reuses(rgb_model, tmp_path):
    cfg, calls = auto_config(tmp_path)
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
    cfg, calls = auto_config(tmp_path)
    _, _, first = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    path = tmp_path / "auto" / f"{first.key}.json"
    path.write_text(content)
    _, _, again = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert calls == [1, 1] and again.measured and again.key == first.key
    assert Choice.from_json(path.read_text()) == again  # rewritten whole


@needs_openvino
def test_an_unwritable_cache_warns_and_still_runs(rgb_model, tmp_path):
    (tmp_path / "auto").write_text("a file where the cache directory should be")
    cfg, calls = auto_config(tmp_path)
    with pytest.warns(UserWarning, match="auto's choice is not cached .*cannot write.*measured again on the next"):
        session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert choice.measured and session.backend == choice.backend


@needs_openvino
@pytest.mark.parametrize("margin", [-100.0, 1.0])
def test_the_fastest_agreeing_path_wins_beyond_the_margin(rgb_model, tmp_path, monkeypatch, margin):
    monkeypatch.setattr(auto, "MARGIN", margin)
    cfg, _ = auto_config(tmp_path)
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
    cfg, _ = auto_config(tmp_path)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg, backend="openvino")
    assert session.backend == "openvino" and choice.backend == "openvino"


def test_self_check_off_runs_the_reference_and_writes_nothing(rgb_model, tmp_path):
    cfg, calls = auto_config(tmp_path, self_check=False)
    session, _, choice = select_backend(rgb_model, SessionConfig(threads=1), cfg)
    assert session.backend == "onnxruntime" and choice.label == "onnxruntime/fp32" and not choice.measured
    assert calls == [] and not (tmp_path / "auto").exists()


def test_impossible_requests_are_refused(rgb_model, tmp_path):
    cfg, _ = auto_config(tmp_path)
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


@needs_openvino
def test_models_recheck_measures_the_choice_again(rgb_model, tmp_path):
    import json

    from pixelwise.engine.auto import forget
    from tests.conftest import run_cli_in_process

    pw.Segmenter(rgb_model, threads=1, cache_dir=tmp_path)
    [cached] = (tmp_path / "auto").glob("*.json")
    stale = {**json.loads(cached.read_text()), "check_ms": {"stale": 1.0}}  # as if measured on a busy machine
    cached.write_text(json.dumps(stale))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIXELWISE_CACHE", str(tmp_path))
        r = run_cli_in_process("models", str(rgb_model), "--recheck")
        bare = run_cli_in_process("models", "--recheck")
    assert r.returncode == 0, r.stderr
    fresh = json.loads(cached.read_text())
    assert fresh["measured"] and "stale" not in fresh["check_ms"] and "total" in fresh["check_ms"]
    assert "backend (auto): " in r.stdout and "(measured; bare " in r.stdout
    assert bare.returncode == 2 and "--recheck needs a model" in bare.stderr and "Traceback" not in bare.stderr
    assert forget(rgb_model, tmp_path) and not cached.exists() and not forget(rgb_model, tmp_path)


def test_without_openvino_auto_is_onnxruntime_without_a_measurement(rgb_model, colour_image, tmp_path, monkeypatch):
    monkeypatch.setattr(auto, "installed_backends", lambda: ("onnxruntime", "opencv"))
    cfg, calls = auto_config(tmp_path)
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
