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
    "ImageNotFoundError",
    "NotRegularFileError",
    "ImageDecodeError",
    "NotAnImageError",
    "ImageTooLargeError",
    "DownloadError",
    "DownloadTimeoutError",
    "OptionError",
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


class ImageNotFoundError(ImageReadError):
    """The named file does not exist."""


class NotRegularFileError(ImageReadError):
    """The named path is a directory, FIFO, device or socket: only regular files are read."""


class ImageDecodeError(ImageReadError):
    """The bytes are empty, not an image, corrupt or truncated."""


class NotAnImageError(ImageDecodeError):
    """The bytes are in no image format pixelwise reads (the server answers 415, not 422)."""


class ImageTooLargeError(ImageReadError):
    """The image has more pixels than the limit (ours or Pillow's decompression-bomb guard)."""


class DownloadError(ImageReadError):
    """An http(s) URL that cannot be downloaded (refused, 404, too large)."""


class DownloadTimeoutError(DownloadError):
    """A download that did not finish within its overall deadline."""


class OptionError(InputError):
    """A prediction or batch option with an invalid value (size, threshold, class, count)."""


class ModelError(InputError):
    """A model file that is not ONNX, or whose inputs/outputs fit no adapter."""


class DatasetError(InputError):
    """A dataset description or annotation that cannot be used."""


class PixelwiseRuntimeError(PixelwiseError, RuntimeError):
    """A failure while running (inference, writing output)."""

    exit_code = 1
