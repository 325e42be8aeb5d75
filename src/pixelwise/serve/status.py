"""HTTP status codes for errors, chosen by the exception's TYPE (never by its message text).

:func:`status_for` walks the exception's class hierarchy from the most specific class up,
so a new subclass of, say, :class:`~pixelwise.errors.ImageReadError` gets 422 until it is
given a row of its own. Anything unknown is a server bug: 500.
"""

from __future__ import annotations

from ..errors import (
    ImageDecodeError,
    ImageReadError,
    ImageTooLargeError,
    InputError,
    NotAnImageError,
    PixelwiseRuntimeError,
)
from .models import ModelUnavailable, UnknownModel

__all__ = ["STATUS_BY_TYPE", "ApiError", "status_for"]


class ApiError(Exception):
    """An HTTP answer decided by the web layer itself (upload limits, timeouts, overload)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


STATUS_BY_TYPE: dict[type[BaseException], int] = {
    UnknownModel: 404,
    ModelUnavailable: 503,
    ImageTooLargeError: 413,
    NotAnImageError: 415,
    ImageDecodeError: 422,
    ImageReadError: 422,
    InputError: 422,  # OptionError, ModelError, ... : a request the server cannot process as given
    MemoryError: 503,  # this request did not fit now; the server goes on
    PixelwiseRuntimeError: 500,
}


def status_for(exc: BaseException) -> int:
    """The status of the most specific class of ``exc`` in :data:`STATUS_BY_TYPE` (500 if none)."""
    if isinstance(exc, ApiError):
        return exc.status
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_TYPE:
            return STATUS_BY_TYPE[cls]
    return 500
