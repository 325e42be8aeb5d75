"""spec + adapter + session -> Result, with per-stage timings."""

from __future__ import annotations

import time

import numpy as np

from ..adapters import get_adapter
from ..errors import InputError
from ..options import PredictOptions
from ..result import Result
from ..spec import ModelSpec
from .session import Backend

__all__ = ["PredictOptions", "Predictor"]


class Predictor:
    """Runs one model on one image at a time; thread-safe (the session is)."""

    def __init__(self, session: Backend, spec: ModelSpec) -> None:
        self.session = session
        self.spec = spec
        self.adapter = get_adapter(spec.adapter)
        self.input_name = session.inputs[0].name
        self.output_names = [o.name for o in session.outputs]
        self.backend = f"{getattr(session, 'backend', 'onnxruntime')}/{getattr(session, 'precision', 'fp32')}"

    def input_hw_for(self, options: PredictOptions) -> tuple[int, int]:
        if options.input_hw is None or options.input_hw == self.spec.input_hw:
            return self.spec.input_hw
        if not self.spec.dynamic:
            raise InputError(f"model {self.spec.name or self.session.source} has a fixed input size "
                             f"{self.spec.input_hw[0]}x{self.spec.input_hw[1]}; --imgsz cannot change it")
        return options.input_hw

    def __call__(self, image: np.ndarray, options: PredictOptions = PredictOptions(), path: str | None = None
                 ) -> Result:
        if options.tile_hw is not None and image.shape[0] * image.shape[1] > options.tile_hw[0] * options.tile_hw[1]:
            return self._tiled(image, options, path)
        t0 = time.perf_counter()
        blob, transform = self.adapter.preprocess(image, self.spec, self.input_hw_for(options))
        post = self._post_kwargs(options)
        t1 = time.perf_counter()
        if options.flip:
            raw = self._flip_averaged(blob)
        else:
            # only what the adapter reads for this image is fetched (OpenVINO then skips computing the rest)
            names = self.adapter.outputs_read(self.output_names, transform, post["confidence"])
            raw = dict(zip(names, self.session.run({self.input_name: blob}, names)))
        t2 = time.perf_counter()
        if options.output_filter is not None:
            raw = options.output_filter(raw)
        decoded = self.adapter.postprocess(raw, transform, self.spec, **post)
        semantic = decoded.semantic
        if options.min_conf is not None and decoded.confidence is not None:
            semantic = unlabel_below(semantic, decoded.confidence, options.min_conf, self._background())
        if options.classes is not None:
            semantic = _keep_classes(semantic, options.classes, self._background())
        instances = decoded.instances
        if instances is not None and options.classes is not None:
            instances = instances[np.isin(instances.class_ids, options.classes)]
        t3 = time.perf_counter()
        timings = {"preprocess": (t1 - t0) * 1e3, "inference": (t2 - t1) * 1e3, "postprocess": (t3 - t2) * 1e3}
        return Result(image=image, semantic=semantic, spec=self.spec, confidence=decoded.confidence, path=path,
                      timings_ms=timings, min_area=options.min_area, instances=instances, backend=self.backend)

    def _tiled(self, image: np.ndarray, options: PredictOptions, path: str | None) -> Result:
        from ..ops import semantic as sem_ops
        from .tiling import tiled_logits

        if not self.adapter.logits or not self.spec.dynamic:
            raise InputError("tiled inference needs a semantic model with a dynamic input size")
        t0 = time.perf_counter()
        name = self.output_names[0] if "logits" not in self.output_names else "logits"
        run = (lambda blob: self._flip_averaged(blob)[name]) if options.flip else (
            lambda blob: self.session.run({self.input_name: blob}, [name])[0])
        logits = tiled_logits(image, options.tile_hw, self.spec.mean, self.spec.std, run)
        t1 = time.perf_counter()
        ids = sem_ops.upsample_argmax(logits, image.shape[:2], self.spec.num_classes)
        conf = sem_ops.upsample_maps(sem_ops.softmax_max(logits), image.shape[:2]) if options.confidence else None
        if options.min_conf is not None:
            conf = conf if conf is not None else sem_ops.upsample_maps(sem_ops.softmax_max(logits), image.shape[:2])
            ids = unlabel_below(ids, conf, options.min_conf, self._background())
        if options.classes is not None:
            ids = _keep_classes(ids, options.classes, self._background())
        timings = {"preprocess": 0.0, "inference": (t1 - t0) * 1e3, "postprocess": (time.perf_counter() - t1) * 1e3}
        return Result(image=image, semantic=ids, spec=self.spec, confidence=conf, path=path, timings_ms=timings,
                      min_area=options.min_area, backend=self.backend)

    def _flip_averaged(self, blob: np.ndarray) -> dict[str, np.ndarray]:
        """The logits output as log of the mean class probabilities of the blob and its mirror image
        (the mirror's answer flipped back, so both are on the blob's grid). Models without class
        scores never get here: ``PredictOptions.resolve`` refuses flip for them."""
        from ..ops import semantic as sem_ops

        name = "logits" if "logits" in self.output_names else self.output_names[0]
        plain = self.session.run({self.input_name: blob}, [name])[0]
        mirrored = self.session.run({self.input_name: np.ascontiguousarray(blob[..., ::-1])}, [name])[0][..., ::-1]
        return {name: sem_ops.mean_log_probs(plain, mirrored)}

    def _post_kwargs(self, options: PredictOptions) -> dict:
        if self.adapter.kind == "semantic":
            return {"confidence": options.confidence or options.min_conf is not None}
        return {"confidence": options.confidence, "conf": options.conf, "iou": options.iou,
                "max_det": options.max_det, "fast_masks": options.low_res_masks}

    def _background(self) -> int:
        return 255 if not self.adapter.logits else (
            self.spec.ignore_index if self.spec.ignore_index is not None else 255)


def unlabel_below(semantic: np.ndarray, confidence: np.ndarray, min_conf: float, unlabelled: int) -> np.ndarray:
    """Class map with every pixel whose confidence is below ``min_conf`` set to ``unlabelled``."""
    return np.where(confidence < min_conf, np.asarray(unlabelled, dtype=semantic.dtype), semantic)


def _keep_classes(semantic: np.ndarray, classes: tuple[int, ...], background: int) -> np.ndarray:
    keep = np.isin(semantic, classes)
    return np.where(keep, semantic, np.asarray(background, dtype=semantic.dtype))
