"""The one atomic writer: a temporary file beside the target, renamed into place when complete.

A killed process leaves either the old file or the new one, never half of one (plus, at
worst, a hidden ``.NAME.*.tmp`` or ``.STEM.*.partialSUFFIX`` file). Every file pixelwise
writes goes through here: bytes (:func:`atomic_write_bytes`), or a path a library fills
(:func:`atomic_path` for ``torch.save``, safetensors, downloads; :class:`PendingFile` for a
video written frame by frame).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import PixelwiseRuntimeError

__all__ = ["PendingFile", "atomic_path", "atomic_write_bytes", "temp_path"]


def temp_path(path: Path, keep_suffix: bool = False) -> Path:
    """A hidden, unique name beside ``path``; ``keep_suffix`` ends it in ``path``'s suffix
    (writers that choose a format from the name, e.g. OpenCV's video writer)."""
    tag = uuid.uuid4().hex[:12]
    if keep_suffix:
        return path.with_name(f".{path.stem}.{tag}.partial{path.suffix}")
    return path.with_name(f".{path.name}.{tag}.tmp")


class PendingFile:
    """A file being written under a temporary name: ``commit()`` renames it to ``path``,
    ``discard()`` removes it. Parent folders are made on creation."""

    def __init__(self, path: str | os.PathLike[str], keep_suffix: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = temp_path(self.path, keep_suffix)

    def commit(self) -> Path:
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        try:
            os.unlink(self.tmp)
        except OSError:
            pass


@contextmanager
def atomic_path(path: str | os.PathLike[str], keep_suffix: bool = False) -> Iterator[Path]:
    """``with atomic_path(p) as tmp:`` fill ``tmp``; on a clean exit it becomes ``p``, on an
    exception it is removed and the exception goes on."""
    pending = PendingFile(path, keep_suffix)
    try:
        yield pending.tmp
        pending.commit()
    except BaseException:
        pending.discard()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename); an OSError
    becomes one line naming the file. Permissions follow the umask, like ``open``."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
    except OSError as exc:
        raise PixelwiseRuntimeError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path
