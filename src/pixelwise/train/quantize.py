"""Static INT8 quantization (QDQ) of any ONNX model with calibration blobs (onnxruntime.quantization).

Needs the ``onnx`` package (the ``train`` extra). Weights are quantized per channel; with
``reduce_range`` they keep to 7 bits, which x86 CPUs without VNNI (AVX2 only) need: there
uint8 x int8 products are summed in 16-bit saturating adds, and full-range weights cost
the default model 7 mIoU points (61.9 vs 68.6 on a VNNI CPU). The file's metadata (the
pixelwise spec, Ultralytics' keys) is carried over to the quantized file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.image import atomic_write_bytes
from ..spec import SPEC_KEY, ModelSpec

__all__ = ["quantize_static_qdq", "WEIGHT_OPS"]

WEIGHT_OPS = ("Conv", "ConvTranspose", "MatMul", "Gemm")
def _require_onnx() -> None:
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise InputError("quantization needs the onnx package: pip install 'pixelwise[train]' (or pip install onnx)"
                         ) from None


def quantize_static_qdq(fp32: Path, out: Path, calibration: list[np.ndarray], input_name: str, *,
                        per_channel: bool = True, reduce_range: bool = True, activations: str = "uint8",
                        op_types: Sequence[str] | None = WEIGHT_OPS, exclude_op_types: Sequence[str] = (),
                        name: str | None = None) -> Path:
    """Quantize ``fp32`` into ``out`` (QDQ) with calibration blobs fed to ``input_name``.

    ``op_types``: the operator types to quantize (default: those with weights, so box
    decoding, softmax and sigmoid tails stay in float); None = every type ONNX Runtime
    knows. ``exclude_op_types``: node types kept in float whatever ``op_types`` says.
    ``name``: the quantized spec's name; by default the FP32 spec's name + ``_int8``.
    """
    _require_onnx()
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    if not calibration:
        raise InputError(f"{fp32}: no calibration images; give a folder with a few dozen typical images")

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            blob = next(self.it, None)
            return None if blob is None else {input_name: blob}

    props = {p.key: p.value for p in onnx.load(str(fp32), load_external_data=False).metadata_props}
    with tempfile.TemporaryDirectory() as tmp:
        pre, q = Path(tmp) / "pre.onnx", Path(tmp) / "q.onnx"
        quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
        excluded = [n.name for n in onnx.load(str(pre)).graph.node if n.op_type in exclude_op_types]
        quantize_static(str(pre), str(q), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        activation_type=QuantType.QUInt8 if activations == "uint8" else QuantType.QInt8,
                        weight_type=QuantType.QInt8, reduce_range=reduce_range, nodes_to_exclude=excluded,
                        op_types_to_quantize=list(op_types) if op_types is not None else None)
        model = onnx.load(str(q))
    if SPEC_KEY in props:
        spec = ModelSpec.from_json(props[SPEC_KEY])
        named = name or (f"{spec.name}_int8" if spec.name else out.stem)  # after the model, not the path
        props[SPEC_KEY] = spec.replace(name=named).to_json()
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return atomic_write_bytes(out, model.SerializeToString())
