"""The engine backends (ONNX Runtime, OpenVINO, OpenCV DNN) give the same answers on the same file."""

from pathlib import Path

import numpy as np
import pytest

import pixelwise as pw
from pixelwise.engine.backends import BACKENDS, SessionConfig, is_installed, is_quantized
from pixelwise.engine.session import OpenCVSession, open_session
from pixelwise.errors import ModelError
from tests.builders import make_qdq_onnx

YOLO = Path(__file__).resolve().parents[3] / "shared" / "models" / "yolo" / "yolo11n-seg-camvid-320.onnx"
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "pixelwise" / "assets" / "leuvenA.jpg"


def test_opencv_backend_matches_onnxruntime_on_the_default_model(default_model_path):
    a = pw.Segmenter(threads=1, backend="onnxruntime")(SAMPLE)
    b = pw.Segmenter(backend="opencv")(SAMPLE)
    assert (a.semantic == b.semantic).mean() > 0.995


def test_opencv_backend_on_a_tiny_dynamic_model(rgb_model, colour_image):
    a = pw.Segmenter(rgb_model, threads=1, backend="onnxruntime")(colour_image)
    b = pw.Segmenter(rgb_model, backend="opencv")(colour_image)
    assert (a.semantic == b.semantic).all()


def test_opencv_backend_matches_on_yolo_seg():
    if not YOLO.is_file():
        pytest.skip(f"{YOLO} not found (../shared; CI has it)")
    camvid = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "camvid" / "val" / "0016E5_07975.png"
    src = camvid if camvid.is_file() else SAMPLE
    a = pw.Segmenter(YOLO, threads=1, conf=0.25, backend="onnxruntime")(src).instances
    b = pw.Segmenter(YOLO, backend="opencv", conf=0.25)(src).instances
    assert len(a) == len(b) and len(a) > 0
    assert np.abs(a.scores - b.scores).max() < 1e-3
    assert np.abs(a.boxes_xyxy - b.boxes_xyxy).max() < 0.5


def test_unknown_backend_and_bytes(rgb_model):
    with pytest.raises(ModelError, match="unknown backend 'tensorrt'"):
        open_session(rgb_model, backend="tensorrt")
    with pytest.raises(ModelError, match="needs a model file"):
        open_session(b"xx", backend="opencv")
    assert isinstance(open_session(rgb_model, backend="opencv"), OpenCVSession)


# -- the backend interface, precisions and refusals ---------------------------------------------------------

HAS_OPENVINO = is_installed("openvino")
needs_openvino = pytest.mark.skipif(not HAS_OPENVINO,
                                    reason="openvino not installed (pip install 'pixelwise[openvino]')")


@pytest.fixture
def qdq_model(tmp_path):
    return make_qdq_onnx(tmp_path / "rgb_int8.onnx")


def test_backends_report_their_precision_and_the_file_kind(rgb_model, qdq_model):
    assert BACKENDS == ("onnxruntime", "openvino", "opencv")
    assert not is_quantized(rgb_model) and is_quantized(qdq_model)
    assert open_session(rgb_model).precision == "fp32" and open_session(qdq_model).precision == "int8"
    assert open_session(rgb_model).backend == "onnxruntime"


def test_onnxruntime_refuses_precisions_it_cannot_run(rgb_model, qdq_model):
    with pytest.raises(ModelError, match="runs this file in fp32 only, not bf16; use --backend openvino"):
        open_session(rgb_model, SessionConfig(precision="bf16"))
    with pytest.raises(ModelError, match="int8 needs a quantized model file; make one with 'pixelwise quantize"):
        open_session(rgb_model, SessionConfig(precision="int8"))
    with pytest.raises(ModelError, match="this file is quantized"):
        open_session(qdq_model, SessionConfig(precision="fp32"))
    with pytest.raises(ModelError, match="unknown precision 'fp8'"):
        SessionConfig(precision="fp8")


def test_opencv_refuses_an_int8_model_unless_forced(qdq_model, colour_image):
    with pytest.raises(ModelError, match="refusing to run an INT8 model with OpenCV DNN.*59.50 vs 69.48.*--force"):
        open_session(qdq_model, backend="opencv")
    with pytest.warns(UserWarning, match="lose accuracy"):
        forced = pw.Segmenter(qdq_model, backend="opencv", force=True)
    assert forced.predictor.session.precision == "int8"
    assert (forced(colour_image).semantic == pw.Segmenter(qdq_model, backend="onnxruntime")(colour_image).semantic
            ).mean() > 0.9


def test_cli_opencv_int8_refused_with_the_reason(cli, tmp_path):
    r = cli("predict", SAMPLE, "--backend", "opencv", "--int8", "--out", tmp_path / "p", "--quiet")
    assert r.returncode == 2 and "refusing to run an INT8 model with OpenCV DNN" in r.stderr
    assert "Traceback" not in r.stderr and "--force" in r.stderr


def test_result_names_the_backend(rgb_model, colour_image):
    res = pw.Segmenter(rgb_model, backend="onnxruntime", precision="fp32")(colour_image)
    assert res.backend == "onnxruntime/fp32" and res.to_dict()["backend"] == "onnxruntime/fp32"


@needs_openvino
def test_openvino_matches_onnxruntime_on_a_tiny_dynamic_model(rgb_model, colour_image, tmp_path):
    from pixelwise.engine.backends.openvino import OpenVinoSession

    cache = tmp_path / "ov"
    s = open_session(rgb_model, SessionConfig(threads=1, cache_dir=str(cache)), backend="openvino")
    assert isinstance(s, OpenVinoSession) and s.precision == "fp32"
    assert [i.name for i in s.inputs] == ["input"] and [o.name for o in s.outputs] == ["logits"]
    assert s.inputs[0].dtype == "tensor(float)" and "pixelwise.spec" in s.metadata
    assert s._compiled.get_property("INFERENCE_NUM_THREADS") == 1
    assert str(s._compiled.get_property("INFERENCE_PRECISION_HINT")) in ("f32", "<Type: 'float32'>")
    assert any(cache.iterdir())  # OpenVINO cached the compiled model
    x = np.random.default_rng(0).standard_normal((1, 3, 37, 53)).astype(np.float32)  # odd, dynamic size
    ref = open_session(rgb_model).run({"input": x})[0]
    assert np.abs(s.run({"input": x})[0] - ref).max() < 1e-5
    a = pw.Segmenter(rgb_model, backend="onnxruntime")(colour_image)
    b = pw.Segmenter(rgb_model, backend="openvino", precision="fp32", cache_dir=tmp_path)(colour_image)
    assert (a.semantic == b.semantic).all() and b.backend == "openvino/fp32"


@needs_openvino
def test_openvino_matches_onnxruntime_on_the_default_model(default_model_path, tmp_path):
    a = pw.Segmenter(backend="onnxruntime", threads=1)(SAMPLE)
    b = pw.Segmenter(backend="openvino", precision="fp32", cache_dir=tmp_path)(SAMPLE)
    assert (a.semantic == b.semantic).mean() > 0.999


@needs_openvino
def test_openvino_precisions_follow_the_cpu(rgb_model, qdq_model, colour_image):
    from pixelwise.engine.backends.openvino import cpu_precisions

    for precision in ("bf16", "fp16"):
        if precision in cpu_precisions():
            s = open_session(rgb_model, SessionConfig(precision=precision), backend="openvino")
            assert s.precision == precision
        else:
            with pytest.raises(ModelError, match=f"this CPU cannot run {precision} with OpenVINO"):
                open_session(rgb_model, SessionConfig(precision=precision), backend="openvino")
    with pytest.raises(ModelError, match="int8 needs a quantized model file"):
        open_session(rgb_model, SessionConfig(precision="int8"), backend="openvino")
    from pixelwise.machine import has_vnni

    if has_vnni():
        q = open_session(qdq_model, backend="openvino")
    else:
        with pytest.raises(ModelError, match="refusing to run an INT8 model with OpenVINO here.*without VNNI"):
            open_session(qdq_model, backend="openvino")
        with pytest.warns(UserWarning, match="do not reproduce the model"):
            q = open_session(qdq_model, SessionConfig(force=True), backend="openvino")
    assert q.precision == "int8"
    x = np.random.default_rng(1).uniform(-2, 2, (1, 3, 32, 48)).astype(np.float32)
    assert np.abs(q.run({"input": x})[0] - open_session(qdq_model).run({"input": x})[0]).max() < 0.06


@needs_openvino
def test_openvino_runs_from_several_threads(rgb_model):
    from concurrent.futures import ThreadPoolExecutor

    s = open_session(rgb_model, SessionConfig(threads=1), backend="openvino")
    xs = [np.full((1, 3, 16 + 4 * k, 24), k, np.float32) for k in range(6)]
    with ThreadPoolExecutor(3) as pool:
        outs = list(pool.map(lambda x: s.run({"input": x})[0], xs))
    assert all(o.shape == (1, 3, 4 + k, 6) and np.allclose(o, k) for k, o in enumerate(outs))


@needs_openvino
def test_openvino_compiles_a_static_copy_per_input_shape_up_to_a_cap(rgb_model):
    from pixelwise.engine.backends.openvino import OpenVinoSession

    ref = open_session(rgb_model)
    s = OpenVinoSession(rgb_model, SessionConfig(threads=1), max_copies=2)
    xs = [np.random.default_rng(k).standard_normal((1, 3, 32 + 8 * k, 40)).astype(np.float32) for k in range(3)]
    for x in xs + xs:  # the third shape is past the cap: the model as loaded runs it
        assert np.abs(s.run({"input": x})[0] - ref.run({"input": x})[0]).max() < 1e-5
    assert s.compiled_shapes == (((1, 3, 32, 40),), ((1, 3, 40, 40),))
    s0 = OpenVinoSession(rgb_model, max_copies=0)
    s0.run({"input": xs[0]})
    assert s0.compiled_shapes == ()
    with pytest.raises(ModelError, match="no output named 'scores'; it has logits"):
        s.run({"input": xs[0]}, ["scores"])


@needs_openvino
def test_openvino_runs_the_model_as_loaded_where_a_copy_does_not_compile(rgb_model, monkeypatch):
    from pixelwise.engine.backends.openvino import OpenVinoSession

    s = OpenVinoSession(rgb_model, SessionConfig(threads=1))
    monkeypatch.setattr(s, "_compile", lambda model: (_ for _ in ()).throw(RuntimeError("cannot reshape")))
    x = np.random.default_rng(0).standard_normal((1, 3, 24, 32)).astype(np.float32)
    assert np.abs(s.run({"input": x})[0] - open_session(rgb_model).run({"input": x})[0]).max() < 1e-5
    assert s.compiled_shapes == ()
    monkeypatch.undo()
    s.run({"input": x[:, :, :16]})  # another shape still gets its copy
    assert s.compiled_shapes == (((1, 3, 16, 32),),)


@needs_openvino
def test_openvino_first_runs_from_several_threads_share_one_copy(rgb_model):
    from concurrent.futures import ThreadPoolExecutor

    from pixelwise.engine.backends.openvino import OpenVinoSession

    s = OpenVinoSession(rgb_model, SessionConfig(threads=1))
    x = np.random.default_rng(0).standard_normal((1, 3, 48, 64)).astype(np.float32)
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: s.run({"input": x})[0], range(8)))
    assert s.compiled_shapes == (((1, 3, 48, 64),),) and all((o == outs[0]).all() for o in outs)


@needs_openvino
def test_openvino_computes_only_the_outputs_a_run_asks_for(default_model_path):
    from pixelwise.engine.backends.openvino import OpenVinoSession

    s = OpenVinoSession(default_model_path, SessionConfig(threads=1, precision="fp32"))
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 96)).astype(np.float32)
    logits, labels = s.run({"input": x})
    (only,) = s.run({"input": x}, ["logits"])
    assert np.abs(only - logits).max() < 1e-5 and labels.shape == (1, 64, 96)
    assert sorted(len(compiled.outputs) for compiled, _ in s._copies.values()) == [1, 2]
    y = np.random.default_rng(1).standard_normal((1, 3, 32, 48)).astype(np.float32)
    first, second = s.run({"input": y}, ["labels", "logits"])  # every output, another order, a new shape
    assert first.shape == (1, 32, 48) and second.shape == (1, 11, 8, 12)


def test_missing_backend_says_how_to_install(rgb_model, monkeypatch):
    from pixelwise.engine import backends

    monkeypatch.setattr(backends, "is_installed", lambda name: name != "openvino")
    with pytest.raises(ModelError, match=r"pip install 'pixelwise\[openvino\]'"):
        backends.open_backend(rgb_model, backend="openvino")
