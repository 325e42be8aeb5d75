"""Export trained weights to ONNX with the ModelSpec embedded, and INT8 quantization.

The exported graph has BatchNorm folded into the convolutions, dynamic height/width,
and two outputs: ``logits`` (1, C, H/4, W/4) and ``labels`` (1, H, W) uint8, the argmax
of the bilinearly upsampled logits at the input size (computed inside ONNX Runtime,
which is faster than doing it in numpy).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..io.image import atomic_write_bytes
from ..spec import IMAGENET_MEAN, IMAGENET_STD, SPEC_KEY, ModelSpec
from .augment import IMAGE_PAD
from .checkpoint import load_weights
from .nets.pwnet import PWNet

__all__ = ["fold_batchnorm", "export_onnx", "spec_from_meta", "quantize_int8", "read_spec", "write_spec"]


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every Conv2d directly followed by BatchNorm2d (in a Sequential) into the conv."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for child in module.children():
        fold_batchnorm(child)
    if isinstance(module, nn.Sequential):
        items = list(module)
        for i in range(len(items) - 1):
            if isinstance(items[i], nn.Conv2d) and isinstance(items[i + 1], nn.BatchNorm2d):
                module[i] = fuse_conv_bn_eval(items[i], items[i + 1])
                module[i + 1] = nn.Identity()
    return module


class _WithLabels(nn.Module):
    def __init__(self, net: PWNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.net(x)
        up = F.interpolate(logits, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return logits, up.argmax(dim=1).to(torch.uint8)


def spec_from_meta(meta: dict[str, Any], input_hw: tuple[int, int], name: str) -> ModelSpec:
    val = meta.get("val", {})
    train_cfg = meta.get("train", {})
    return ModelSpec(
        adapter="semantic", input_hw=input_hw, classes=tuple(meta["classes"]),
        colours=tuple(tuple(c) for c in meta.get("colours", ())), things=tuple(meta.get("things", ())),
        mean=tuple(meta.get("mean", IMAGENET_MEAN)), std=tuple(meta.get("std", IMAGENET_STD)),
        resize="stretch", pad_value=IMAGE_PAD, dynamic=True, ignore_index=meta.get("ignore_index"), name=name,
        provenance={"command": train_cfg.get("command"), "seed": train_cfg.get("seed"), "epoch": meta.get("epoch"),
                    "train": train_cfg, "stretches": meta.get("stretches"), "init": meta.get("init"),
                    "stages": meta.get("stages")},
        scores={"val_miou": val.get("miou"), "val_pixel_accuracy": val.get("pixel_accuracy"),
                "val_iou": val.get("iou")},
    )


def _embed_spec(onnx_bytes: bytes, spec: ModelSpec) -> bytes:
    import onnx

    model = onnx.load_from_string(onnx_bytes)
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = SPEC_KEY, spec.to_json()
    model.producer_name = "pixelwise"
    return model.SerializeToString()


def read_spec(path: Path) -> ModelSpec:
    import onnx

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    return ModelSpec.from_json(props[SPEC_KEY])


def write_spec(path: Path, spec: ModelSpec) -> Path:
    """Replace the spec embedded in an ONNX file (atomically)."""
    return atomic_write_bytes(path, _embed_spec(path.read_bytes(), spec))


def export_onnx(weights: Path, out: Path, input_hw: tuple[int, int] = (360, 480), name: str = "",
                opset: int = 17, spec_updates: dict[str, Any] | None = None, static: bool = False,
                provenance: dict[str, Any] | None = None) -> Path:
    """Weights (.safetensors from ``pixelwise train``) -> ONNX file with the spec embedded.

    ``provenance``: top-level entries set in the spec's provenance over those the training
    run wrote (a record of what the run itself cannot know: fold scores, earlier stages, the
    CPU); an entry replaces the run's entry of the same name whole.

    ``static``: a fixed-shape graph at ``input_hw`` (for edge runtimes that need one); the
    training run's val scores were measured at another size, so they are kept aside as
    ``scores["train_val"]`` and the spec's own val scores stay empty until measured at this
    size (``pixelwise export --data``).
    """
    tensors, config, meta = load_weights(weights)
    net = PWNet(config)
    net.load_state_dict(tensors)
    net.eval()
    fold_batchnorm(net)
    wrapped = _WithLabels(net).eval()
    buf = io.BytesIO()
    dummy = torch.zeros(1, 3, *input_hw)
    with torch.no_grad(), warnings.catch_warnings():
        # the TorchScript exporter is chosen on purpose: it needs no onnxscript and gives a
        # plain graph that ONNX Runtime and OpenCV DNN both run; silence its deprecation note
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            wrapped, (dummy,), buf, opset_version=opset, input_names=["input"], output_names=["logits", "labels"],
            dynamic_axes=None if static else {"input": {2: "height", 3: "width"}, "logits": {2: "h4", 3: "w4"},
                                              "labels": {1: "height", 2: "width"}},
            dynamo=False,
        )
    spec = spec_from_meta(meta, input_hw, name or out.stem)
    if static:
        spec = spec.replace(dynamic=False, scores=_unmeasured_at(spec.scores))
    if spec_updates:
        spec = spec.replace(**spec_updates)
    if provenance:
        spec = spec.replace(provenance={**spec.provenance, **provenance})
    return atomic_write_bytes(out, _embed_spec(buf.getvalue(), spec))


def _unmeasured_at(scores: dict[str, Any]) -> dict[str, Any]:
    """Scores of a static export before it is measured: the training run's moved aside."""
    kept = {k: v for k, v in scores.items() if v is not None}
    note = "measured by the training run, not at this export's fixed input size"
    return {"val_miou": None, "val_pixel_accuracy": None, "val_iou": None,
            **({"train_val": {**kept, "note": note}} if kept else {})}


def quantize_int8(fp32: Path, out: Path, calibration: list[np.ndarray], per_channel: bool = True,
                  activations: str = "uint8", reduce_range: bool = True) -> Path:
    """Static INT8 quantization (QDQ) of an exported model with calibration blobs (1, 3, H, W).

    Every operator type is quantized but the upsample/argmax tail (quantizing it only adds
    error); ``reduce_range`` keeps weights to 7 bits (see :mod:`pixelwise.train.quantize`).
    The INT8 model's spec is the FP32 one's, named ``NAME_int8`` after the FP32 model.
    """
    from .quantize import quantize_static_qdq

    return quantize_static_qdq(fp32, out, calibration, "input", per_channel=per_channel, reduce_range=reduce_range,
                               activations=activations, op_types=None, exclude_op_types=("Resize", "ArgMax", "Cast"))
