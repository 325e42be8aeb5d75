"""Export: ONNX equals the torch model, the spec travels inside, INT8 works."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

import pixelwise as pw  # noqa: E402
from pixelwise.engine.model import load_model  # noqa: E402
from pixelwise.machine import cpu_name  # noqa: E402
from pixelwise.train.augment import IMAGE_PAD  # noqa: E402
from pixelwise.train.checkpoint import build_from_weights  # noqa: E402
from pixelwise.train.export import export_onnx, fold_batchnorm, quantize_int8  # noqa: E402
from pixelwise.train.loop import TrainConfig, train  # noqa: E402
from tests.builders import make_mask_dataset  # noqa: E402
from tests.train.test_loop import TINY_NET  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exp")
    cfg = TrainConfig(data=make_mask_dataset(tmp / "ds", n=4), out=tmp / "run", epochs=3, batch=2,
                      crop_hw=(24, 32), lr=1e-2, val_every=1, threads=1, net=TINY_NET, warmup_epochs=1,
                      command="pixelwise train --data ds")
    train(cfg, progress=False)
    return tmp / "run" / "best.safetensors", tmp / "ds" / "dataset.yaml"


def test_fold_batchnorm_keeps_outputs():
    from pixelwise.train.nets.pwnet import PWNet, PWNetConfig

    net = PWNet(PWNetConfig(**TINY_NET)).eval()
    for m in net.modules():  # non-trivial BN statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    x = torch.randn(1, 3, 40, 56)
    before = net(x)
    after = fold_batchnorm(net)(x)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())
    assert torch.allclose(before, after, atol=1e-4)


def test_onnx_matches_torch_and_carries_the_spec(trained, tmp_path):
    weights, _ = trained
    path = export_onnx(weights, tmp_path / "m.onnx", input_hw=(48, 64), name="tiny")
    session, spec = load_model(path)
    assert spec.name == "tiny" and spec.classes == ("bg", "fg") and spec.dynamic and spec.input_hw == (48, 64)
    assert spec.provenance["command"] == "pixelwise train --data ds" and spec.provenance["seed"] == 0
    (stretch,) = spec.provenance["stretches"]  # where it was trained
    assert stretch["first_epoch"] == 1 and stretch["last_epoch"] >= 1 and stretch["cpu"] == cpu_name()
    assert spec.scores["val_miou"] is not None
    assert spec.pad_value == IMAGE_PAD  # a letterboxed photo is padded as the training crops were
    model, _ = build_from_weights(weights)
    model.eval()
    for hw in [(48, 64), (37, 71)]:  # dynamic sizes, odd ones included
        x = np.random.default_rng(0).standard_normal((1, 3, *hw)).astype(np.float32)
        logits, labels = session.run({"input": x})
        ref = model(torch.from_numpy(x)).detach().numpy()
        assert logits.shape == ref.shape and np.abs(logits - ref).max() < 1e-3
        up = torch.nn.functional.interpolate(torch.from_numpy(ref), size=hw, mode="bilinear", align_corners=False)
        assert labels.dtype == np.uint8 and (labels[0] == up.argmax(1)[0].numpy()).mean() > 0.99


def test_int8_model_loads_and_agrees(trained, tmp_path):
    weights, data = trained
    fp32 = export_onnx(weights, tmp_path / "m.onnx", input_hw=(24, 32))
    from pixelwise.train.calibrate import calibration_blobs
    from pixelwise.train.export import read_spec

    q = quantize_int8(fp32, tmp_path / "m_int8.onnx", calibration_blobs(data, read_spec(fp32), count=4))
    import onnx

    ops = {n.op_type for n in onnx.load(str(q)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops  # weights and activations in INT8
    img = np.zeros((24, 32, 3), np.uint8)
    img[4:16, 6:20] = (220, 40, 40)
    a = pw.Segmenter(fp32, threads=1)(img)
    b = pw.Segmenter(q, threads=1)(img)
    assert b.spec.name == "m_int8"
    assert (a.semantic == b.semantic).mean() > 0.8
    named = export_onnx(weights, tmp_path / "probe.onnx", input_hw=(24, 32), name="road")
    q = quantize_int8(named, tmp_path / "probe_int8.onnx", calibration_blobs(data, read_spec(named), count=2))
    assert read_spec(q).name == "road_int8"  # named after the model, not after where it was written


def test_int8_weights_use_7_bits_by_default(trained, tmp_path):
    """Full-range int8 weights saturate 16-bit sums on CPUs without VNNI (AVX2 only)."""
    import onnx
    from onnx import numpy_helper

    from pixelwise.train.calibrate import calibration_blobs
    from pixelwise.train.export import read_spec

    weights, data = trained
    fp32 = export_onnx(weights, tmp_path / "m.onnx", input_hw=(24, 32))
    blobs = calibration_blobs(data, read_spec(fp32), count=4)

    def weight_range(path):
        inits = [numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer]
        return max(int(np.abs(a.astype(np.int32)).max()) for a in inits if a.dtype == np.int8 and a.ndim == 4)

    assert weight_range(quantize_int8(fp32, tmp_path / "rr.onnx", blobs)) <= 64
    assert weight_range(quantize_int8(fp32, tmp_path / "full.onnx", blobs, reduce_range=False)) == 127


def test_static_export_has_a_fixed_shape_and_no_borrowed_score(trained, tmp_path):
    import onnx

    from pixelwise.errors import InputError

    weights, _ = trained
    dyn = export_onnx(weights, tmp_path / "d.onnx", input_hw=(24, 32))
    fixed = export_onnx(weights, tmp_path / "s.onnx", input_hw=(24, 32), static=True)
    dims = [d.dim_value for d in onnx.load(str(fixed)).graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 24, 32]
    session, spec = load_model(fixed)
    assert not spec.dynamic and spec.input_hw == (24, 32)
    assert spec.scores["val_miou"] is None and spec.scores["train_val"]["val_miou"] is not None
    assert "not at this export's fixed input size" in spec.scores["train_val"]["note"]
    x = np.random.default_rng(0).standard_normal((1, 3, 24, 32)).astype(np.float32)
    a, b = session.run({"input": x}), load_model(dyn)[0].run({"input": x})
    assert np.abs(a[0] - b[0]).max() < 1e-4 and (a[1] == b[1]).mean() > 0.99
    with pytest.raises(InputError, match="fixed input size 24x32"):
        pw.Segmenter(fixed, imgsz=(48, 64), backend="onnxruntime")


def test_provenance_entries_are_merged_over_the_runs_own(trained, tmp_path):
    weights, _ = trained
    record = {"cpu": "2 cores of a test machine", "seed": 7, "folds": {"a": {"miou": 40.0}}}
    _, spec = load_model(export_onnx(weights, tmp_path / "m.onnx", input_hw=(24, 32), provenance=record))
    assert spec.provenance["command"] == "pixelwise train --data ds"  # the run's own entries stay
    assert spec.provenance["cpu"] == record["cpu"] and spec.provenance["folds"] == record["folds"]
    assert spec.provenance["seed"] == 7  # a record's entry wins over the run's
