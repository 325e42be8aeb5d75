"""Loading a model file: the session plus the spec that says how to use it.

The spec comes from, in order: the ``pixelwise.spec`` metadata key, a sidecar JSON beside
the model (``NAME.json`` for ``NAME.onnx``, else ``model.json`` in the same folder; its
keys override what the file itself says), a foreign exporter's own metadata (each
adapter's ``from_metadata``: Ultralytics ``task: segment`` / ``task: semantic``), or the
output signature alone (a semantic model with numbered classes). The adapter then checks
the outputs and completes the spec (e.g. YOLO-seg's classic or end-to-end layout).

Refused at load, with one line naming the file: inputs other than one float32
``[1,3,H,W]`` tensor, outputs with an empty dimension, outputs that fit no adapter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..adapters import ADAPTERS, get_adapter
from ..adapters.ultralytics import KEYS as ULTRALYTICS_KEYS
from ..adapters.ultralytics import read_metadata
from ..errors import ModelError
from ..spec import SPEC_KEY, ModelSpec
from .session import Backend, SessionConfig, open_session

__all__ = ["load_model", "spec_from_session", "resolve_spec", "sidecar_path", "SpecChoice", "ACCEPTED"]

ACCEPTED = (
    "semantic: one float input [1,3,H,W] and an output of logits [1,C,h,w] or integer class ids [1,h,w] / [h,w]; "
    "yolo_seg (Ultralytics task: segment): output0 [1,4+nc+32,anchors] (classic) or [1,max_det,38] (end2end) "
    "and output1 [1,32,h,w]; yolo_sem (Ultralytics task: semantic): class ids [1,H,W] or logits [1,nc,h,w]"
)
SIDECAR_NAME = "model.json"


@dataclass(frozen=True)
class SpecChoice:
    """Why a model got its adapter: where the spec came from and what the file carries."""

    adapter: str
    kind: str
    source: str  # "pixelwise.spec metadata", "sidecar PATH", "Ultralytics metadata (task: ...)", "output signature"
    layout: str
    layout_note: str
    metadata_keys: tuple[str, ...]


def _static_hw(shape: tuple) -> tuple[int, int] | None:
    if len(shape) == 4 and all(isinstance(d, int) and d > 0 for d in shape[2:]):
        return int(shape[2]), int(shape[3])
    return None


def sidecar_path(path: Path | None) -> Path | None:
    """The sidecar JSON of a model file: ``NAME.json`` beside ``NAME.onnx``, else ``model.json``."""
    if path is None:
        return None
    for side in (path.with_suffix(".json"), path.parent / SIDECAR_NAME):
        if side.is_file():
            return side
    return None


def _read_sidecar(side: Path) -> dict[str, Any]:
    try:
        values = json.loads(side.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{side}: invalid JSON ({exc})") from None
    except OSError as exc:
        raise ModelError(f"{side}: cannot read the sidecar ({exc.strerror or exc})") from None
    if not isinstance(values, dict):
        raise ModelError(f"{side}: expected a JSON object, got {type(values).__name__}")
    return values


def _spec_from(values: dict[str, Any], where: str) -> ModelSpec:
    """ModelSpec.from_dict with any bad value reported against ``where`` (the file it came from)."""
    try:
        return ModelSpec.from_dict(values)
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{where}: invalid model spec ({exc}); expected e.g. \"input_hw\": [H, W]") from None


def _foreign(session: Backend) -> tuple[ModelSpec, str] | None:
    for adapter in ADAPTERS.values():
        spec = adapter.from_metadata(session)
        if spec is not None:
            return spec, f"Ultralytics metadata (task: {session.metadata.get('task')})"
    return None


def _initial_spec(session: Backend, path: Path | None) -> tuple[ModelSpec, str]:
    name = {"name": path.stem} if path else {}
    if SPEC_KEY in session.metadata:
        try:
            values = json.loads(session.metadata[SPEC_KEY])
        except json.JSONDecodeError as exc:
            raise ModelError(f"{session.source}: metadata {SPEC_KEY!r} is not valid JSON ({exc})") from None
        if not isinstance(values, dict):
            raise ModelError(f"{session.source}: metadata {SPEC_KEY!r} must be a JSON object")
        return _spec_from(values, f"{session.source} ({SPEC_KEY})"), f"{SPEC_KEY} metadata"
    foreign = _foreign(session)
    side = sidecar_path(path)
    if side is not None:
        base = foreign[0].to_dict() if foreign else {**name, **_guess(session)}
        return _spec_from({**base, **_read_sidecar(side)}, str(side)), f"sidecar {side}"
    if foreign is not None:
        return foreign
    um = read_metadata(session.metadata, session.source)
    if um is not None:  # an Ultralytics export of a task no adapter reads (detect, classify, pose, obb)
        raise ModelError(f"{session.source}: Ultralytics task {um.task!r} is not supported; pixelwise reads "
                         "task 'segment' (YOLO-seg) and 'semantic' exports")
    return _spec_from({**name, **_guess(session)}, session.source), "output signature"


def resolve_spec(session: Backend, path: Path | None = None, overrides: dict[str, Any] | None = None
                 ) -> tuple[ModelSpec, SpecChoice]:
    """The ModelSpec of a loaded model (see module docstring) and why it was chosen."""
    _check_io(session)
    spec, source = _initial_spec(session, path)
    if overrides:
        spec = spec.replace(**overrides)
    spec = _check_signature(session, spec)
    adapter = get_adapter(spec.adapter)
    keys = tuple(k for k in (SPEC_KEY, *ULTRALYTICS_KEYS) if k in session.metadata)
    return spec, SpecChoice(spec.adapter, adapter.kind, source, spec.layout, adapter.explain(spec), keys)


def spec_from_session(session: Backend, path: Path | None = None, overrides: dict[str, Any] | None = None
                      ) -> ModelSpec:
    """Work out the ModelSpec of a loaded model (see module docstring)."""
    return resolve_spec(session, path, overrides)[0]


def _guess(session: Backend) -> dict[str, Any]:
    """Semantic defaults from the signature: numbered classes, static input size."""
    out = session.outputs[0].shape
    hw = _static_hw(session.inputs[0].shape)
    guess: dict[str, Any] = {"adapter": "semantic", "dynamic": hw is None}
    if hw:
        guess["input_hw"] = hw
    if len(out) == 4 and isinstance(out[1], int) and out[1] > 1:
        guess["classes"] = [f"class_{i}" for i in range(out[1])]
    return guess


def _check_io(session: Backend) -> None:
    """One float32 [1,3,H,W] input and no empty output dimension, or a one-line ModelError."""
    src = session.source
    if len(session.inputs) != 1 or len(session.inputs[0].shape) != 4:
        raise ModelError(f"{src}: unsupported model ({session.describe()}); pixelwise accepts {ACCEPTED}")
    inp = session.inputs[0]
    if inp.dtype != "tensor(float)":
        raise ModelError(f"{src}: input {inp.describe()} is not float32; pixelwise feeds float32 [1,3,H,W] "
                         "normalised pixels: export the model with a float input")
    if isinstance(inp.shape[1], int) and inp.shape[1] != 3:
        raise ModelError(f"{src}: input {inp.describe()} has {inp.shape[1]} channels; pixelwise feeds RGB [1,3,H,W]")
    for o in session.outputs:
        if any(isinstance(d, int) and d == 0 for d in o.shape):
            raise ModelError(f"{src}: output {o.describe()} is empty (a 0-sized dimension); "
                             "expected a spatial size > 0 (check the export's input size)")


def _check_signature(session: Backend, spec: ModelSpec) -> ModelSpec:
    adapter = get_adapter(spec.adapter)
    try:
        spec = adapter.check(session, spec)
    except ModelError as exc:
        raise ModelError(f"{session.source}: outputs do not fit the {spec.adapter!r} adapter: {exc} "
                         f"({session.describe()}); pixelwise accepts {ACCEPTED}") from None
    if not spec.classes:
        raise ModelError(f"{session.source}: class names unknown; add a sidecar {Path(session.source).stem}.json "
                         "with \"classes\": [...]")
    static = _static_hw(session.inputs[0].shape)
    if static and static != spec.input_hw:
        raise ModelError(f"{session.source}: spec says input {spec.input_hw[0]}x{spec.input_hw[1]} but the model's "
                         f"input is fixed at {static[0]}x{static[1]}")
    return spec


def load_model(model: str | Path | bytes, config: SessionConfig = SessionConfig(),
               overrides: dict[str, Any] | None = None, backend: str = "onnxruntime"
               ) -> tuple[Backend, ModelSpec]:
    path = None if isinstance(model, bytes) else Path(model)
    if path is not None and path.suffix.lower() not in (".onnx", ".ort"):
        raise ModelError(f"{path}: expected an .onnx model file")
    session = open_session(model, config, backend)
    return session, spec_from_session(session, path, overrides)
