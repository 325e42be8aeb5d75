"""Panoptic by composing models: stuff from a semantic model, things from an instance model.

:class:`PanopticPredictor` runs both predictors on the same image and merges them by the
rule of :mod:`pixelwise.ops.panoptic`: the things model's instances are mapped to the
semantic model's classes (``things_map``, else equal names), those scoring at least
``score`` claim their pixels in score order, and the semantic map keeps every other pixel.
The Result has the semantic model's classes, a class map in which the kept instances
overwrite the semantic classes, and the kept instances (things-model masks, mapped class
ids) as ``instances``, so ``res.panoptic()`` gives stuff segments plus one per object.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError, OptionError
from ..ops.panoptic import PanopticRule, claim, class_lut
from ..options import PredictOptions
from ..result import Instances, Result
from .predictor import Predictor

__all__ = ["PanopticPredictor", "parse_things_map", "ThingsMap", "DEFAULT_THINGS_SCORE"]

DEFAULT_THINGS_SCORE = 0.5  # an instance below this leaves its pixels to the semantic map
ThingsMap = Mapping[str, str] | str | os.PathLike[str] | None
MAP_SUFFIXES = (".json", ".yaml", ".yml")


def _pairs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        src, sep, dst = item.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise OptionError(f"--things-map: expected THING=CLASS pairs separated by commas "
                              f"(person=pedestrian,car=car), got {item!r}")
        out[src.strip()] = dst.strip()
    return out


def _read_map_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise OptionError(f"{path}: things map file not found (a .json or .yaml file of thing: class pairs)")
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            import yaml

            doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OptionError(f"{path}: cannot read the things map ({str(exc).splitlines()[0]})") from None
    except Exception as exc:  # yaml.YAMLError without importing yaml eagerly
        raise OptionError(f"{path}: invalid YAML in the things map ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise OptionError(f"{path}: expected a mapping of thing: class names, got {type(doc).__name__}")
    return _checked(doc, str(path))


def _checked(mapping: Mapping[Any, Any], where: str) -> dict[str, str]:
    bad = [(k, v) for k, v in mapping.items() if not isinstance(k, str) or not isinstance(v, str)]
    if bad:
        raise OptionError(f"{where}: things map entries must be name: name strings, got {bad[0]!r}")
    return dict(mapping)


def parse_things_map(value: ThingsMap) -> dict[str, str]:
    """``{"person": "pedestrian"}``, ``"person=pedestrian,car=car"`` or a .json/.yaml file -> dict."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return _checked(value, "things_map")
    text = os.fspath(value)
    if Path(text).suffix.lower() in MAP_SUFFIXES and "=" not in text:
        return _read_map_file(Path(text))
    return _pairs(text)


class PanopticPredictor:
    """Two predictors, one Result: a semantic model's stuff and an instance model's things.

    Behaves as a :class:`~pixelwise.engine.predictor.Predictor` (``spec``, ``adapter``,
    ``backend``, ``input_hw_for``, call). ``session`` is None: a stream runs this object
    as it is rather than opening per-worker sessions of one model.
    """

    session = None

    def __init__(self, semantic: Predictor, things: Predictor, things_map: ThingsMap = None,
                 score: float = DEFAULT_THINGS_SCORE) -> None:
        if semantic.spec.kind != "semantic":
            raise ModelError(f"panoptic composition needs a semantic model for the stuff, got the "
                             f"{semantic.spec.adapter} model {semantic.spec.name or '?'}")
        if things.spec.kind != "instance":
            raise ModelError(f"--things needs an instance model (YOLO-seg), got the {things.spec.adapter} "
                             f"model {things.spec.name or '?'}")
        self.semantic, self.things = semantic, things
        self.rule = PanopticRule(score=score)
        self.mapping = parse_things_map(things_map)
        self.lut = class_lut(things.spec.classes, semantic.spec.classes, self.mapping)
        if not (self.lut >= 0).any():
            raise OptionError(f"no class of the things model ({', '.join(things.spec.classes)}) matches a class of "
                              f"the semantic model ({', '.join(semantic.spec.classes)}); map them with "
                              f"--things-map THING=CLASS,...")
        mapped = [semantic.spec.classes[c] for c in sorted(set(self.lut[self.lut >= 0].tolist()))]
        things_names = tuple(semantic.spec.things) + tuple(n for n in mapped if n not in semantic.spec.things)
        self.spec = semantic.spec.replace(things=things_names)
        self.adapter = semantic.adapter
        self.backend = f"{semantic.backend}+{things.backend}"

    def input_hw_for(self, options: PredictOptions) -> tuple[int, int]:
        return self.semantic.input_hw_for(options)

    def __call__(self, image: np.ndarray, options: PredictOptions = PredictOptions(), path: str | None = None
                 ) -> Result:
        stuff = self.semantic(image, options, path=path)
        thing_options = replace(options, input_hw=None, classes=None, tile_hw=None, min_conf=None, output_filter=None,
                                confidence=False, flip=False)
        found = self.things(image, thing_options, path=path)
        t0 = time.perf_counter()
        result = self.merged(stuff, found.instances, options)
        timings = {k: stuff.timings_ms.get(k, 0.0) + found.timings_ms.get(k, 0.0) for k in stuff.timings_ms}
        timings["merge"] = (time.perf_counter() - t0) * 1e3
        return replace(result, timings_ms=timings)

    def merged(self, stuff: Result, inst: Instances, options: PredictOptions) -> Result:
        """The semantic Result ``stuff`` with the things model's instances ``inst`` merged in."""
        mapped = self.lut[inst.class_ids] if len(inst) else np.zeros(0, np.int32)
        if options.classes is not None:
            mapped = np.where(np.isin(mapped, options.classes), mapped, -1)
        owner, kept = claim(inst.cropped, mapped, inst.scores, replace(self.rule, min_area=max(options.min_area, 1)))
        semantic = stuff.semantic.copy()
        covered = owner >= 0
        semantic[covered] = mapped[owner[covered]].astype(semantic.dtype)
        objects = Instances(inst.boxes_xyxy[kept], mapped[kept], inst.scores[kept], inst.cropped[kept])
        return replace(stuff, semantic=semantic, spec=self.spec, instances=objects, backend=self.backend)
