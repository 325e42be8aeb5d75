"""Loading a model file: the session plus the spec that says how to use it.

The spec comes from, in order: the ``pixelwise.spec`` metadata key, a sidecar JSON
(``model.onnx`` + ``model.json``), a foreign exporter's own metadata (Ultralytics), or
the output signature alone (a semantic model with numbered classes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..adapters import ADAPTERS, get_adapter
from ..errors import ModelError
from ..spec import SPEC_KEY, ModelSpec
from .session import OnnxSession, OpenCVSession, SessionConfig, open_session

__all__ = ["load_model", "spec_from_session", "ACCEPTED"]

ACCEPTED = (
    "semantic: one input [1,3,H,W] and an output of logits [1,C,h,w] or class ids [1,h,w]; "
    "yolo_seg: input [1,3,S,S], output0 [1,4+nc+32,anchors] and output1 [1,32,S/4,S/4]"
)


def _static_hw(shape: tuple) -> tuple[int, int] | None:
    if len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape[2:]):
        return int(shape[2]), int(shape[3])
    return None


def _sidecar(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    side = path.with_suffix(".json")
    if not side.is_file():
        return None
    try:
        values = json.loads(side.read_text())
    except json.JSONDecodeError as exc:
        raise ModelError(f"{side}: invalid JSON ({exc})") from None
    if not isinstance(values, dict):
        raise ModelError(f"{side}: expected a JSON object")
    return values


def spec_from_session(session: OnnxSession, path: Path | None = None, overrides: dict[str, Any] | None = None
                      ) -> ModelSpec:
    """Work out the ModelSpec of a loaded model (see module docstring)."""
    overrides = overrides or {}
    if SPEC_KEY in session.metadata:
        spec = ModelSpec.from_json(session.metadata[SPEC_KEY])
    elif (side := _sidecar(path)) is not None:
        spec = ModelSpec.from_dict({"name": path.stem if path else "", **_guess(session), **side})
    elif "yolo_seg" in ADAPTERS and ADAPTERS["yolo_seg"].from_metadata(session) is not None:
        spec = ADAPTERS["yolo_seg"].from_metadata(session)
    else:
        spec = ModelSpec.from_dict({"name": path.stem if path else "", **_guess(session)})
    if overrides:
        spec = spec.replace(**overrides)
    _check_signature(session, spec)
    return spec


def _guess(session: OnnxSession) -> dict[str, Any]:
    """Semantic defaults from the signature: numbered classes, static input size."""
    if len(session.inputs) != 1 or len(session.inputs[0].shape) != 4:
        raise ModelError(f"{session.source}: unsupported model ({session.describe()}); pixelwise accepts {ACCEPTED}")
    out = session.outputs[0].shape
    hw = _static_hw(session.inputs[0].shape)
    guess: dict[str, Any] = {"adapter": "semantic", "dynamic": hw is None}
    if hw:
        guess["input_hw"] = hw
    if len(out) == 4 and isinstance(out[1], int) and out[1] > 1:
        guess["classes"] = [f"class_{i}" for i in range(out[1])]
    return guess


def _check_signature(session: OnnxSession, spec: ModelSpec) -> None:
    adapter = get_adapter(spec.adapter)
    shapes = [o.shape for o in session.outputs]
    if len(session.inputs) != 1 or len(session.inputs[0].shape) != 4 or not adapter.accepts(shapes):
        raise ModelError(
            f"{session.source}: outputs do not fit the {spec.adapter!r} adapter ({session.describe()}); "
            f"pixelwise accepts {ACCEPTED}"
        )
    if not spec.classes:
        raise ModelError(f"{session.source}: class names unknown; add a sidecar {Path(session.source).stem}.json "
                         "with \"classes\": [...]")
    static = _static_hw(session.inputs[0].shape)
    if static and static != spec.input_hw:
        raise ModelError(f"{session.source}: spec says input {spec.input_hw[0]}x{spec.input_hw[1]} but the model's "
                         f"input is fixed at {static[0]}x{static[1]}")


def load_model(model: str | Path | bytes, config: SessionConfig = SessionConfig(),
               overrides: dict[str, Any] | None = None, backend: str = "onnxruntime"
               ) -> tuple[OnnxSession | OpenCVSession, ModelSpec]:
    path = None if isinstance(model, bytes) else Path(model)
    if path is not None and path.suffix.lower() not in (".onnx", ".ort"):
        raise ModelError(f"{path}: expected an .onnx model file")
    session = open_session(model, config, backend)
    return session, spec_from_session(session, path, overrides)
