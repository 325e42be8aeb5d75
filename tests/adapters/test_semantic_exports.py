"""Semantic ONNX files exported from PyTorch with SegFormer-like and DeepLabV3/LR-ASPP-like outputs."""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pixelwise as pw  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "models" / "reference"


class QuarterRes(torch.nn.Module):
    """SegFormer's layout: logits at 1/4 of the input."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, 2, 1), torch.nn.ReLU(),
                                        torch.nn.Conv2d(8, classes, 3, 2, 1))

    def forward(self, x):
        return self.body(x)


class FullRes(QuarterRes):
    """DeepLabV3 / LR-ASPP layout: logits upsampled to the input size inside the model."""

    def forward(self, x):
        return torch.nn.functional.interpolate(self.body(x), size=x.shape[-2:], mode="bilinear", align_corners=False)


def _export(module, path: Path, hw, dynamic: bool):
    axes = {"pixel_values": {2: "h", 3: "w"}, "logits": {2: "oh", 3: "ow"}} if dynamic else None
    torch.onnx.export(module.eval(), torch.zeros(1, 3, *hw), str(path), input_names=["pixel_values"],
                      output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    return path


def _reference(module, image, spec_hw, mean, std):
    import cv2

    x = cv2.resize(image, (spec_hw[1], spec_hw[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    x = (x - np.array(mean, np.float32)) / np.array(std, np.float32)
    with torch.no_grad():
        out = module(torch.from_numpy(x.transpose(2, 0, 1))[None])
    up = torch.nn.functional.interpolate(out, size=image.shape[:2], mode="bilinear", align_corners=False)
    return up.argmax(1)[0].numpy()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("cls, dynamic", [(QuarterRes, True), (FullRes, False)])
def test_pytorch_exports_work_with_a_sidecar(tmp_path, cls, dynamic):
    module = cls(5)
    path = _export(module, tmp_path / "net.onnx", (64, 96), dynamic)
    side = {"classes": ["a", "b", "c", "d", "e"], "input_hw": [64, 96], "mean": [0.5, 0.5, 0.5],
            "std": [0.25, 0.25, 0.25], "dynamic": dynamic}
    (tmp_path / "net.json").write_text(json.dumps(side))
    image = np.random.default_rng(0).integers(0, 255, (150, 200, 3), dtype=np.uint8)
    res = pw.Segmenter(path, threads=1)(image)
    assert res.semantic.shape == (150, 200) and res.names == tuple("abcde")
    ref = _reference(module, image, (64, 96), side["mean"], side["std"])
    assert (res.semantic == ref).mean() > 0.99


def test_reference_lraspp_loads_with_guessed_classes():
    path = REFERENCE / "lraspp_mobilenet_v3_large_360x480.onnx"
    if not path.is_file():
        pytest.skip(f"{path} not found (../shared; CI has it)")
    seg = pw.Segmenter(path, threads=2)
    assert seg.spec.num_classes == 21 and seg.spec.input_hw == (360, 480) and not seg.spec.dynamic
    res = seg(np.zeros((200, 300, 3), np.uint8))
    assert res.semantic.shape == (200, 300)
