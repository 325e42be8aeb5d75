"""Known models by name: shipped inside the package, or downloaded once and cached.

A downloadable entry carries its URL and SHA-256; the file is fetched to the cache
folder (``$PIXELWISE_CACHE`` or ``~/.cache/pixelwise``) through a temporary file, checked
against the checksum, then renamed into place, so a broken download never looks valid.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError, PixelwiseRuntimeError
from .weights import WEIGHTS_DIR

__all__ = ["ModelEntry", "REGISTRY", "resolve_model", "download", "cache_dir", "WEIGHTS_DIR"]




@dataclass(frozen=True)
class ModelEntry:
    name: str
    description: str
    file: str | None = None  # shipped: file name inside pixelwise/weights/
    url: str | None = None  # downloadable
    sha256: str | None = None

    def is_shipped(self) -> bool:
        return self.file is not None


REGISTRY: dict[str, ModelEntry] = {
    "default": ModelEntry("default", "PWNet on CamVid (11 road-scene classes), FP32", file="pwnet_camvid.onnx"),
    "default-int8": ModelEntry("default-int8", "PWNet on CamVid, INT8 (static quantization)",
                               file="pwnet_camvid_int8.onnx"),
    "people": ModelEntry("people", "PWNet on people photos (background, person): cut-outs, background blur",
                         file="pwnet_people.onnx"),
}


def cache_dir() -> Path:
    return Path(os.environ.get("PIXELWISE_CACHE", Path.home() / ".cache" / "pixelwise"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(entry: ModelEntry, dest_dir: Path | None = None, timeout: float = 60.0) -> Path:
    """Fetch a registry entry (if not cached and valid) and return the local path."""
    if not entry.url or not entry.sha256:
        raise ModelError(f"model {entry.name!r} has no download URL and checksum")
    dest_dir = dest_dir or cache_dir()
    dest = dest_dir / f"{entry.name}-{entry.sha256[:12]}.onnx"
    if dest.is_file() and _sha256(dest) == entry.sha256:
        return dest
    from .io.files import atomic_path

    try:
        with atomic_path(dest) as tmp:  # a checksum mismatch or a failed download leaves no file
            with open(tmp, "xb") as out, urllib.request.urlopen(entry.url, timeout=timeout) as response:
                shutil.copyfileobj(response, out)
            got = _sha256(tmp)
            if got != entry.sha256:
                raise PixelwiseRuntimeError(
                    f"{entry.url}: checksum mismatch (expected {entry.sha256[:12]}..., got {got[:12]}...); not cached")
    except PixelwiseRuntimeError:
        raise
    except OSError as exc:
        raise PixelwiseRuntimeError(f"{entry.url}: download failed ({exc})") from None
    return dest


def resolve_model(model: str | os.PathLike[str], registry: dict[str, ModelEntry] | None = None) -> Path:
    """A registry name or a file path -> a local ONNX path."""
    registry = REGISTRY if registry is None else registry
    name = str(model)
    if name in registry:
        entry = registry[name]
        if entry.is_shipped():
            path = WEIGHTS_DIR / entry.file  # type: ignore[operator]
            if not path.is_file():
                raise ModelError(f"model {name!r}: shipped file {path.name} is missing from this installation")
            return path
        return download(entry)
    path = Path(model)
    if path.is_file():
        return path
    raise ModelError(f"{name}: no such model file or known model name (known: {', '.join(sorted(registry))})")
