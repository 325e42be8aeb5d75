"""The per-image work shared by every engine: read, segment, write outputs, return a record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PixelwiseError, PixelwiseRuntimeError
from ..io.download import DEFAULT_URL_TIMEOUT_S
from ..io.image import read_image, write_image
from ..io.sinks import write_mask
from ..options import PredictOptions
from ..segmenter import Segmenter
from .inputs import output_key

__all__ = ["WorkConfig", "Worker", "mask_path", "start_worker"]


@dataclass(frozen=True)
class WorkConfig:
    out: str
    model: str = "default"
    threads: int = 1
    overlay: bool = False
    alpha: float = 0.5
    timeout: float = DEFAULT_URL_TIMEOUT_S  # seconds for each URL download, overall
    options: PredictOptions = PredictOptions()
    things: str | None = None  # an instance model merged over ``model``'s class map (panoptic by composition)
    things_map: str | None = None  # its class names -> model's ("person=pedestrian,..." or a .json/.yaml file)
    things_score: float = 0.5
    panoptic: bool = False  # also write panoptic/KEY_panoptic.png + .json (COCO panoptic)

    def __post_init__(self) -> None:
        if isinstance(self.options, dict):  # Ray passes the config as plain data
            object.__setattr__(self, "options", PredictOptions(**self.options))


def mask_path(out: Path, source: str) -> Path:
    return out / "masks" / f"{output_key(source)}.png"


class Worker:
    """One Segmenter (one ONNX Runtime session) per process or Ray actor."""

    def __init__(self, config: WorkConfig) -> None:
        self.config = config
        self.out = Path(config.out)
        things = ({"things": config.things, "things_map": config.things_map, "things_score": config.things_score}
                  if config.things else {})
        self.seg = Segmenter(config.model, threads=config.threads, options=config.options, timeout=config.timeout,
                             **things)

    def __call__(self, source: str) -> dict[str, Any]:
        t0 = time.perf_counter()
        record: dict[str, Any] = {"path": source, "status": "ok", "error": None}
        try:
            image = read_image(source, self.seg.max_pixels, self.seg.timeout)
            res = self.seg.predict_array(image, source)
            mask = write_mask(mask_path(self.out, source), res)
            record.update(_result_fields(res), mask=str(mask.relative_to(self.out)), mask_bytes=mask.stat().st_size)
            if self.config.overlay:
                ov = write_image(self.out / "overlays" / f"{Path(mask).stem}.jpg", res.plot(alpha=self.config.alpha))
                record["overlay"] = str(ov.relative_to(self.out))
            if self.config.panoptic:
                record.update(_write_panoptic(res, self.out, Path(mask).stem))
        except PixelwiseRuntimeError as exc:  # writing failed: the output, not this image, is the problem
            record.update(status="error", error=str(exc), error_kind="output")
        except PixelwiseError as exc:
            record.update(status="error", error=str(exc), error_kind="input")
        record["seconds"] = round(time.perf_counter() - t0, 4)
        return record


def start_worker(config: WorkConfig) -> Callable[[str], dict[str, Any]]:
    """A Worker; or, when the model or the options cannot be used, a stand-in whose every record is that
    error (``error_kind`` "setup"): the runner stops on the first one with a clear message instead of a
    broken process pool."""
    try:
        return Worker(config)
    except PixelwiseError as exc:
        error = {"status": "error", "error": str(exc), "error_kind": "setup", "exit_code": exc.exit_code}
        return lambda source: {"path": source, **error}


def _write_panoptic(res, out: Path, key: str) -> dict[str, str]:
    """The COCO panoptic PNG + JSON of one image under ``panoptic/``; their paths for the index record."""
    from ..data.panoptic_format import write_coco_panoptic

    png, doc = write_coco_panoptic(out / "panoptic", key, res)
    return {"panoptic": str(png.relative_to(out)), "panoptic_json": str(doc.relative_to(out))}


def _result_fields(res) -> dict[str, Any]:
    """The Result's one JSON schema (``Result.to_dict``), masks left to the mask PNG; ``path`` keys the record."""
    fields = res.to_dict(masks="none")
    del fields["source"]
    return fields
