"""Models by name for the server: loaded once on first use, shared by all requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..errors import PixelwiseError
from ..segmenter import Segmenter

__all__ = ["ModelPool", "UnknownModel"]


class UnknownModel(PixelwiseError):
    exit_code = 2


@dataclass
class ModelPool:
    """``sources`` maps a public name to a model name or path; ``threads`` per session."""

    sources: dict[str, str]
    threads: int = 0
    _loaded: dict[str, Segmenter] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def names(self) -> list[str]:
        return list(self.sources)

    @property
    def default(self) -> str:
        return next(iter(self.sources))

    def get(self, name: str | None) -> Segmenter:
        name = name or self.default
        if name not in self.sources:
            raise UnknownModel(f"unknown model {name!r}; available: {', '.join(self.sources)}")
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = Segmenter(self.sources[name], threads=self.threads)
            return self._loaded[name]

    def describe(self) -> list[dict]:
        out = []
        for name in self.sources:
            s = self.get(name).spec
            out.append({"name": name, "adapter": s.adapter, "input_hw": list(s.input_hw), "dynamic": s.dynamic,
                        "classes": list(s.classes), "colours": [list(c) for c in s.colours],
                        "things": list(s.things), "val_miou": s.scores.get("val_miou")})
        return out
