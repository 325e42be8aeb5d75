"""Shipped model files (ONNX with the spec embedded, plus .safetensors for fine-tuning)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["WEIGHTS_DIR", "default_weights_path"]

WEIGHTS_DIR = Path(__file__).parent


def default_weights_path() -> Path:
    """The trainable parameters of the default model (for ``train --from default``)."""
    return WEIGHTS_DIR / "pwnet_camvid.safetensors"
