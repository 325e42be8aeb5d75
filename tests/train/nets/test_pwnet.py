"""PWNet: the optional 1/4-resolution detail blocks, and weights of the networks without them."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

from pixelwise.engine.model import load_model  # noqa: E402
from pixelwise.train.checkpoint import build_from_weights, save_weights  # noqa: E402
from pixelwise.train.export import export_onnx  # noqa: E402
from pixelwise.train.nets.pwnet import PWNet, PWNetConfig  # noqa: E402
from pixelwise.weights import WEIGHTS_DIR  # noqa: E402
from tests.train.test_loop import TINY_NET  # noqa: E402


@pytest.mark.parametrize("name", ["pwnet_camvid", "pwnet_people"])
def test_shipped_weights_have_no_detail_blocks_and_load_strictly(name):
    model, _ = build_from_weights(WEIGHTS_DIR / f"{name}.safetensors")  # load_state_dict is strict
    assert model.config.blocks1 == 0 and len(model.detail) == 0


def test_detail_blocks_add_parameters_at_quarter_resolution_only():
    plain = PWNet(PWNetConfig(**TINY_NET, num_classes=2))
    detail = PWNet(PWNetConfig(**TINY_NET, num_classes=2, blocks1=2))
    extra = sum(p.numel() for p in detail.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == sum(p.numel() for p in detail.detail.parameters()) > 0
    seen = []
    detail.detail.register_forward_hook(lambda m, i, o: seen.append((i[0].shape, o.shape)))
    x = torch.randn(1, 3, 48, 64)
    assert detail.eval()(x).shape == plain.eval()(x).shape == (1, 2, 12, 16)
    (shape_in, shape_out), = seen
    assert shape_in == shape_out == (1, TINY_NET["c1"], 12, 16)


def test_a_detail_net_round_trips_through_weights_and_onnx(tmp_path):
    torch.manual_seed(0)
    model = PWNet(PWNetConfig(**TINY_NET, num_classes=2, blocks1=2)).eval()
    for m in model.modules():  # BN statistics that folding must keep
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    weights = save_weights(tmp_path / "m.safetensors", model, {"classes": ["bg", "fg"]})
    again, _ = build_from_weights(weights)
    assert again.config == model.config
    session, _ = load_model(export_onnx(weights, tmp_path / "m.onnx", input_hw=(48, 64), name="tiny"))
    x = np.random.default_rng(0).standard_normal((1, 3, 40, 56)).astype(np.float32)
    logits, _ = session.run({"input": x})
    assert np.abs(logits - model(torch.from_numpy(x)).detach().numpy()).max() < 1e-3


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_added_detail_blocks_start_as_the_identity(mode):
    torch.manual_seed(0)
    model = PWNet(PWNetConfig(**TINY_NET, num_classes=2))
    x = torch.randn(2, 3, 48, 64)
    model.train(mode == "train")
    before = model(x)  # training mode: (logits, auxiliary logits)
    model.add_detail_blocks(2)
    model.train(mode == "train")
    after = model(x)
    assert model.config.blocks1 == 2 and len(model.detail) == 2
    as_tuple = lambda y: y if isinstance(y, tuple) else (y,)  # noqa: E731
    for b, a in zip(as_tuple(before), as_tuple(after), strict=True):
        assert torch.allclose(b, a, atol=1e-6)
