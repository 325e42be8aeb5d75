"""Models by name for the server: loaded once, shared by all requests.

``pixelwise serve`` loads every model at start-up (:meth:`ModelPool.load_all`), so a bad
model is refused before the server listens. A pool used without that loads on first use;
a model that cannot be loaded is then *unavailable*: requests for it get 503 naming it,
``/readyz`` says not ready, and the load is tried again after ``retry_s`` seconds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..errors import InputError, PixelwiseError, PixelwiseRuntimeError
from ..segmenter import Segmenter

__all__ = ["ModelPool", "ModelUnavailable", "UnknownModel"]


class UnknownModel(InputError):
    """A model name the server does not serve (HTTP 404)."""


class ModelUnavailable(PixelwiseRuntimeError):
    """A served model that cannot be loaded now (HTTP 503)."""


@dataclass
class ModelPool:
    """``sources`` maps a public name to a model name or path; ``threads`` per session; ``things``
    maps a public name to the Segmenter keywords of its things model (``things``, ``things_map``,
    ``things_score``: panoptic by composition, ``pixelwise serve --things``)."""

    sources: dict[str, str]
    threads: int = 0
    things: dict[str, dict] = field(default_factory=dict)
    retry_s: float = 10.0
    _loaded: dict[str, Segmenter] = field(default_factory=dict)
    _failed: dict[str, tuple[float, str]] = field(default_factory=dict)  # name -> (monotonic time, reason)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def names(self) -> list[str]:
        return list(self.sources)

    @property
    def default(self) -> str:
        return next(iter(self.sources))

    def get(self, name: str | None) -> Segmenter:
        """The loaded model; UnknownModel for a name not served, ModelUnavailable for one that fails to load."""
        name = name or self.default
        if name not in self.sources:
            raise UnknownModel(f"unknown model {name!r}; available: {', '.join(self.sources)}")
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            failed = self._failed.get(name)
            if failed is not None and time.monotonic() - failed[0] < self.retry_s:
                raise ModelUnavailable(f"model {name!r} is unavailable: {failed[1]}")
            try:
                seg = Segmenter(self.sources[name], threads=self.threads, **self.things.get(name, {}))
            except Exception as exc:  # any load failure makes the model unavailable
                reason = str(exc) if isinstance(exc, PixelwiseError) else f"{type(exc).__name__}: {exc}"
                self._failed[name] = (time.monotonic(), reason.splitlines()[0] if reason else type(exc).__name__)
                raise ModelUnavailable(f"model {name!r} is unavailable: {self._failed[name][1]}") from None
            self._failed.pop(name, None)
            self._loaded[name] = seg
            return seg

    def load_all(self) -> None:
        """Load every model now; the first that fails raises InputError naming it (the CLI: exit 2)."""
        for name in self.sources:
            try:
                self.get(name)
            except ModelUnavailable:
                raise InputError(f"cannot serve model {name!r}: {self._failed[name][1]}") from None

    def unavailable(self) -> dict[str, str]:
        """Name -> reason for every model that cannot be loaded now (tries those not loaded yet)."""
        out = {}
        for name in self.sources:
            try:
                self.get(name)
            except ModelUnavailable as exc:
                out[name] = str(exc)
        return out

    def describe(self) -> list[dict]:
        """What GET /v1/models shows: each model's spec, or ``available: false`` and why."""
        out = []
        for name in self.sources:
            try:
                s = self.get(name).spec
            except ModelUnavailable as exc:
                out.append({"name": name, "available": False, "error": str(exc)})
                continue
            out.append({"name": name, "available": True, "adapter": s.adapter, "input_hw": list(s.input_hw),
                        "dynamic": s.dynamic, "classes": list(s.classes), "colours": [list(c) for c in s.colours],
                        "things": list(s.things), "val_miou": s.scores.get("val_miou"),
                        "things_model": self.things.get(name, {}).get("things")})
        return out
