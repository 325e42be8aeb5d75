"""pixelwise: image segmentation on the CPU, with an embedded default model.

>>> import pixelwise as pw
>>> seg = pw.Segmenter()            # doctest: +SKIP
>>> res = seg("street.png")         # doctest: +SKIP

Nothing heavy is imported here: onnxruntime and OpenCV load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Segmenter", "Result", "Instances", "ModelSpec", "PixelwiseError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .errors import PixelwiseError
    from .result import Instances, Result
    from .segmenter import Segmenter
    from .spec import ModelSpec

_LAZY = {
    "Segmenter": ("segmenter", "Segmenter"),
    "Result": ("result", "Result"),
    "Instances": ("result", "Instances"),
    "ModelSpec": ("spec", "ModelSpec"),
    "PixelwiseError": ("errors", "PixelwiseError"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pixelwise' has no attribute {name!r}")
