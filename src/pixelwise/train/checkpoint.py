"""Checkpoints: resumable training state (.pt) and shippable weights (.safetensors).

Every write is atomic (temporary file, then rename), so a killed run leaves either the
previous checkpoint or the new one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..errors import InputError
from ..io.files import atomic_path
from .nets.pwnet import PWNet, PWNetConfig

__all__ = ["save_state", "load_state", "save_weights", "load_weights", "build_from_weights"]


def _atomic(path: Path, write) -> Path:  # callable taking a temp path
    """Let ``write`` fill a temporary file beside ``path``, then rename it into place."""
    with atomic_path(path) as tmp:
        write(str(tmp))
    return path


def save_state(path: Path, state: dict[str, Any]) -> Path:
    return _atomic(path, lambda tmp: torch.save(state, tmp))


def load_state(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"{path}: no checkpoint to resume from")
    return torch.load(path, map_location="cpu", weights_only=False)


def save_weights(path: Path, model: PWNet, meta: dict[str, Any]) -> Path:
    """Parameters + buffers as safetensors; the net config and ``meta`` go in its header."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    header = {"pixelwise.net": json.dumps(model.config.to_dict()), "pixelwise.meta": json.dumps(meta)}
    return _atomic(path, lambda tmp: save_file(tensors, tmp, metadata=header))


def load_weights(path: Path) -> tuple[dict[str, torch.Tensor], PWNetConfig, dict[str, Any]]:
    from safetensors import safe_open
    from safetensors.torch import load_file

    if not path.is_file():
        raise InputError(f"{path}: no such weights file")
    with safe_open(str(path), framework="pt") as f:
        header = f.metadata() or {}
    if "pixelwise.net" not in header:
        raise InputError(f"{path}: not a pixelwise weights file (no 'pixelwise.net' header)")
    config = PWNetConfig.from_dict(json.loads(header["pixelwise.net"]))
    meta = json.loads(header.get("pixelwise.meta", "{}"))
    return load_file(str(path)), config, meta


def build_from_weights(path: Path, num_classes: int | None = None) -> tuple[PWNet, dict[str, Any]]:
    """Rebuild a PWNet from weights; a different ``num_classes`` keeps all but the head."""
    tensors, config, meta = load_weights(path)
    model = PWNet(config)
    model.load_state_dict(tensors)
    if num_classes is not None and num_classes != config.num_classes:
        model.reset_head(num_classes)
    return model, meta
