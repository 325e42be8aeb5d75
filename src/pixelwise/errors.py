"""pixelwise's exception types.

Every error a user can cause derives from :class:`PixelwiseError`; the CLI prints its
message on one line and exits with the code carried by the class (2: bad input or usage,
1: runtime failure).
"""

from __future__ import annotations

__all__ = [
    "PixelwiseError",
    "InputError",
    "ImageReadError",
    "ModelError",
    "DatasetError",
    "PixelwiseRuntimeError",
]


class PixelwiseError(Exception):
    """Base class of pixelwise's errors."""

    exit_code = 1


class InputError(PixelwiseError, ValueError):
    """Bad input or usage: a missing path, an unsupported option value."""

    exit_code = 2


class ImageReadError(InputError):
    """An image that cannot be read (missing, corrupt, not an image, too large)."""


class ModelError(InputError):
    """A model file that is not ONNX, or whose inputs/outputs fit no adapter."""


class DatasetError(InputError):
    """A dataset description or annotation that cannot be used."""


class PixelwiseRuntimeError(PixelwiseError, RuntimeError):
    """A failure while running (inference, writing output)."""

    exit_code = 1
