"""Result and Instances: what a model found in one image, as plain numpy arrays.

Conventions: masks and class maps are at the **original image resolution**; boxes are
``xyxy`` float32 pixels; ``semantic`` is ``uint8`` for models with at most 255 classes.
Drawing and saving are delegated to ``pixelwise.vis`` / ``pixelwise.io`` (lazy imports).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, dataclass, field
from typing import Any

import numpy as np

from .ops import masks as mask_ops
from .ops.masks import CroppedMasks
from .spec import ModelSpec

__all__ = ["Instances", "Result", "RESULT_SCHEMA", "NO_OBJECT"]

RESULT_SCHEMA = "pixelwise.result/1"
NO_OBJECT = 255  # semantic value where an instance model found nothing


def _check(name: str, arr: np.ndarray, shape: tuple, dtype_kind: str | None = None) -> None:
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        want = "(" + ", ".join("_" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name}: expected shape {want}, got {arr.shape}")
    if dtype_kind and arr.dtype.kind not in dtype_kind:
        raise ValueError(f"{name}: expected dtype kind {dtype_kind!r}, got {arr.dtype}")


class Instances:
    """N objects: parallel arrays, filterable like numpy (``inst[inst.scores > 0.5]``).

    Attributes:
        boxes_xyxy: (N, 4) float32 pixel boxes.
        class_ids: (N,) int32.
        scores: (N,) float32 confidences in 0..1.
        masks: (N, H, W) bool at the original image size, made on first use when the
            instances were built from box-cropped masks (``cropped``), as models give them:
            areas, polygons, RLE, drawing and class maps never need the dense array.
        track_ids: (N,) int64 ids that stay the same across a stream's frames (streams
            with ``track=True``), else None.
    """

    __slots__ = ("boxes_xyxy", "class_ids", "scores", "_track_ids", "_dense", "_cropped")

    def __init__(self, boxes_xyxy: np.ndarray, class_ids: np.ndarray, scores: np.ndarray,
                 masks: np.ndarray | CroppedMasks, track_ids: np.ndarray | None = None) -> None:
        self.boxes_xyxy = np.asarray(boxes_xyxy, dtype=np.float32).reshape(-1, 4) if np.size(
            boxes_xyxy) == 0 else np.asarray(boxes_xyxy, dtype=np.float32)
        self.class_ids = np.asarray(class_ids, dtype=np.int32).reshape(-1)
        self.scores = np.asarray(scores, dtype=np.float32).reshape(-1)
        n = len(self.class_ids)
        self._cropped: CroppedMasks | None = masks if isinstance(masks, CroppedMasks) else None
        self._dense: np.ndarray | None = None if self._cropped is not None else np.asarray(masks, dtype=bool)
        _check("boxes_xyxy", self.boxes_xyxy, (n, 4))
        _check("scores", self.scores, (n,))
        if self._dense is not None:
            _check("masks", self._dense, (n, None, None))
        elif len(self._cropped) != n:
            raise ValueError(f"masks: expected {n} masks, got {len(self._cropped)}")
        self._track_ids = None if track_ids is None else np.asarray(track_ids, dtype=np.int64).reshape(-1)
        if self._track_ids is not None:
            _check("track_ids", self._track_ids, (n,))

    @property
    def track_ids(self) -> np.ndarray | None:
        return self._track_ids

    def with_track_ids(self, track_ids: np.ndarray | None) -> "Instances":
        """The same objects with ``track_ids`` (N,) (a new Instances; this one is unchanged)."""
        masks = self._dense if self._dense is not None else self._cropped
        return Instances(self.boxes_xyxy, self.class_ids, self.scores, masks, track_ids)

    @property
    def masks(self) -> np.ndarray:
        if self._dense is None:
            self._dense = self.cropped.dense()
        return self._dense

    @property
    def cropped(self) -> CroppedMasks:
        """The masks cropped to their boxes (cheap; no (N, H, W) array)."""
        if self._cropped is None:
            self._cropped = CroppedMasks.from_dense(self._dense)
        return self._cropped

    @property
    def hw(self) -> tuple[int, int]:
        """The image size the masks belong to."""
        return self._cropped.hw if self._cropped is not None else tuple(self._dense.shape[1:])

    def mask(self, i: int) -> np.ndarray:
        """Mask ``i`` as an (H, W) bool array, without making the others."""
        return self._dense[i] if self._dense is not None else self._cropped.mask(i)

    def polygons(self, i: int, epsilon: float = 0.0) -> list[np.ndarray]:
        """Outer contours of mask ``i`` as (K, 2) float32 (x, y) image-pixel polygons."""
        return self.cropped.polygons(i, epsilon=epsilon)

    def __len__(self) -> int:
        return len(self.class_ids)

    def __repr__(self) -> str:
        return f"Instances(n={len(self)}, hw={self.hw}, classes={self.class_ids.tolist()})"

    def __getitem__(self, index: Any) -> "Instances":
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        masks = self._dense[index] if self._dense is not None else self._cropped[index]
        return Instances(self.boxes_xyxy[index], self.class_ids[index], self.scores[index], masks,
                         None if self.track_ids is None else self.track_ids[index])

    @property
    def areas(self) -> np.ndarray:
        """(N,) int64 mask areas in pixels."""
        if self._dense is not None:
            return self._dense.reshape(len(self), -1).sum(axis=1).astype(np.int64)
        return self._cropped.areas()

    @classmethod
    def empty(cls, hw: tuple[int, int]) -> "Instances":
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.int32), np.zeros(0, np.float32),
                   CroppedMasks.empty(hw))


def instances_from_semantic(semantic: np.ndarray, thing_ids: Sequence[int], min_area: int,
                            confidence: np.ndarray | None = None) -> Instances:
    """Connected regions (8-connectivity) of the thing classes of an (H, W) class map, at least
    ``min_area`` pixels each; scores are the mean ``confidence`` over a region (else 1)."""
    boxes, ids, labels, _ = mask_ops.components(semantic, tuple(thing_ids), min_area)
    masks = CroppedMasks.from_labels(labels, boxes)
    if confidence is not None and len(ids):
        flat = labels.reshape(-1)
        sums = np.bincount(flat, weights=confidence.reshape(-1), minlength=len(ids) + 1)[1:]
        counts = np.bincount(flat, minlength=len(ids) + 1)[1:]
        scores = sums / np.maximum(counts, 1)
    else:
        scores = np.ones(len(ids), np.float32)
    return Instances(boxes, ids, scores, masks)


class _RegionsOnFirstRead:
    """The ``instances`` field: what was given, or (``None`` given) a semantic model's regions made
    on first read and kept. Regions of a very large class map cost more memory than the map itself
    (int32 labels), so a result that is never asked for objects never pays for them."""

    slot = "_instances"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return None  # the dataclass default
        value = obj.__dict__.get(self.slot)
        if value is None:
            value = instances_from_semantic(obj.semantic, obj.spec.thing_ids, obj.min_area, obj.confidence)
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: Instances | None) -> None:
        if self.slot in obj.__dict__:
            raise FrozenInstanceError(f"cannot assign to field {self.slot[1:]!r}")
        obj.__dict__[self.slot] = None if isinstance(value, _RegionsOnFirstRead) else value  # the default


@dataclass(frozen=True, eq=False)
class Result:
    """Segmentation of one image.

    Attributes:
        image: the source image, (H, W, 3) uint8 RGB (a reference, not a copy).
        semantic: (H, W) class ids (uint8, or int32 beyond 255 classes); for instance
            models ``NO_OBJECT`` (255) where no mask covers a pixel.
        spec: the model's spec (class names, colours, thing classes).
        confidence: (H, W) float32 probability of the winning class, when requested.
        path: where the image came from, if it came from a file or URL.
        timings_ms: per-stage times (preprocess, inference, postprocess).
        backend: the engine path that ran the model, "backend/precision" (e.g. "onnxruntime/fp32").
        instances: the objects: an instance model's own, or for a semantic model the connected
            regions of its thing classes (made on creation when not given).
        min_area: smallest region (pixels) that is an object or a segment of ``panoptic()``.
        frame_index, timestamp: the frame's place in a stream, else None.
        plotted: (H, W, 3) uint8 RGB drawing made in a stream's pipeline threads
            (``Segmenter.stream(plot=...)``), returned by ``plot()`` without arguments; else None.
    """

    image: np.ndarray
    semantic: np.ndarray
    spec: ModelSpec
    confidence: np.ndarray | None = None
    path: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    frame_index: int | None = None
    timestamp: float | None = None
    min_area: int = 64
    instances: Instances = field(default=_RegionsOnFirstRead(), repr=False)  # type: ignore[assignment]
    plotted: np.ndarray | None = field(default=None, repr=False)
    backend: str | None = None

    def __post_init__(self) -> None:
        _check("image", self.image, (None, None, 3), "u")
        _check("semantic", self.semantic, self.image.shape[:2], "ui")
        if self.confidence is not None:
            _check("confidence", self.confidence, self.image.shape[:2], "f")
        given = self.__dict__.get("_instances")
        if given is not None and len(given) and given.hw != self.hw:
            raise ValueError(f"instances.masks: expected masks of {self.hw}, got {given.hw}")

    # -- basic facts -----------------------------------------------------------------
    @property
    def hw(self) -> tuple[int, int]:
        return self.image.shape[0], self.image.shape[1]

    @property
    def names(self) -> tuple[str, ...]:
        return self.spec.classes

    # -- summaries -------------------------------------------------------------------
    def areas(self) -> dict[str, dict[str, float | int]]:
        """Per class present: ``{"name": {"id", "pixels", "fraction"}}``, largest first."""
        counts = np.bincount(self.semantic.reshape(-1), minlength=max(len(self.names), 1))
        total = self.semantic.size
        out = {}
        for cid in np.argsort(-counts, kind="stable"):
            if counts[cid] == 0 or cid >= len(self.names):
                continue
            out[self.names[cid]] = {"id": int(cid), "pixels": int(counts[cid]),
                                    "fraction": round(float(counts[cid] / total), 6)}
        return out

    def unlabelled_fraction(self) -> float:
        """Share of pixels that carry no class (e.g. below ``min_conf``), 0..1; semantic models."""
        if self.spec.kind != "semantic" or not self.semantic.size:
            return 0.0
        return float(np.count_nonzero(self.semantic >= len(self.names)) / self.semantic.size)

    def classes_present(self) -> list[str]:
        return list(self.areas())

    def segments(self, as_numpy: bool = False) -> list[dict[str, Any]]:
        """Hugging Face ``image-segmentation`` pipeline format.

        Semantic models give one segment per class present (``score`` None); instance
        models one per object. ``mask`` is a PIL "L" image (0/255) at the original size,
        or a bool array with ``as_numpy=True``.
        """
        items: list[tuple[str, float | None, np.ndarray]] = []
        if self.spec.kind == "semantic":
            for name, info in self.areas().items():
                items.append((name, None, self.semantic == info["id"]))
        else:
            inst = self.instances
            for i in range(len(inst)):
                items.append((self.names[inst.class_ids[i]], float(inst.scores[i]), inst.mask(i)))
        if as_numpy:
            return [{"label": n, "score": s, "mask": m} for n, s, m in items]
        from PIL import Image

        return [{"label": n, "score": s, "mask": Image.fromarray(m.astype(np.uint8) * 255, mode="L")}
                for n, s, m in items]

    def polygons(self, epsilon: float = 1.0) -> list[dict[str, Any]]:
        """Per instance: label, score and outer polygons as lists of [x, y] points."""
        inst = self.instances
        return [{"label": self.names[inst.class_ids[i]], "score": float(inst.scores[i]),
                 "polygons": [p.tolist() for p in inst.polygons(i, epsilon=epsilon)]}
                for i in range(len(inst))]

    def panoptic(self) -> tuple[np.ndarray, list[dict[str, Any]]]:
        """(H, W) int32 segment ids (0 = none) and COCO-panoptic ``segments_info``: the stuff
        classes of the semantic map, then the instances (a things model's, when composed with
        ``Segmenter(..., things=)``, else connected regions), merged as ops/panoptic.py says."""
        from .ops.panoptic import PanopticRule, merge

        inst, things = self.instances, set(self.spec.thing_ids)
        semantic = self.spec.kind == "semantic"
        stuff = [c for c in range(self.spec.num_classes) if c not in things] if semantic else []
        return merge(self.semantic, stuff, inst.cropped, inst.class_ids, inst.scores,
                     thing_ids=sorted(things) if semantic else (),
                     rule=PanopticRule(score=0.0, overlap=0.0, min_area=max(self.min_area, 1)))

    # -- serialisation -----------------------------------------------------------------
    def to_dict(self, masks: str = "rle") -> dict[str, Any]:
        """The one JSON schema of a result. ``masks``: "rle", "polygons" or "none"."""
        if masks not in ("rle", "polygons", "none"):
            raise ValueError(f"masks must be 'rle', 'polygons' or 'none', got {masks!r}")
        inst = self.instances
        rles = mask_ops.encode_rle(inst.cropped) if masks == "rle" else []
        areas = inst.areas
        objects = []
        for i in range(len(inst)):
            obj: dict[str, Any] = {
                "id": i, "class_id": int(inst.class_ids[i]), "label": self.names[inst.class_ids[i]],
                "score": round(float(inst.scores[i]), 5), "box_xyxy": [round(float(v), 2) for v in inst.boxes_xyxy[i]],
                "area": int(areas[i]),
            }
            if inst.track_ids is not None:
                obj["track_id"] = int(inst.track_ids[i])
            if masks == "rle":
                obj["rle"] = rles[i]
            elif masks == "polygons":
                obj["polygons"] = [p.tolist() for p in inst.polygons(i)]
            objects.append(obj)
        return {
            "schema": RESULT_SCHEMA,
            "source": self.path,
            "height": self.hw[0],
            "width": self.hw[1],
            "model": self.spec.name,
            "task": self.spec.adapter,
            "classes_present": self.classes_present(),
            "areas": self.areas(),
            "instances": objects,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
            **({"backend": self.backend} if self.backend else {}),
            **({"frame_index": self.frame_index} if self.frame_index is not None else {}),
        }

    def to_json(self, masks: str = "rle", indent: int | None = None) -> str:
        return json.dumps(self.to_dict(masks=masks), indent=indent)

    # -- dataset formats (lazy: pixelwise.data writes them with its own writers) --------
    def to_coco(self, image_id: int = 1, masks: str = "rle") -> dict[str, Any]:
        """A one-image COCO document (images, annotations with scores, categories)."""
        from .data.exports import to_coco

        return to_coco(self, image_id, masks)

    def to_labelme(self) -> dict[str, Any]:
        """LabelMe JSON (polygons); writes nothing (``pixelwise.data.exports.write_labelme`` does)."""
        from .data.exports import to_labelme

        return to_labelme(self)

    def to_coco_panoptic(self, image_id: int = 1, file_name: str | None = None) -> Any:
        """COCO panoptic form of ``panoptic()``: ``.png`` (H, W, 3) uint8 (id = R + 256 G + 256^2 B)
        and ``.doc`` (images, annotations with segments_info, categories with isthing); writes nothing."""
        from .data.panoptic_format import to_coco_panoptic

        return to_coco_panoptic(self, image_id, file_name)

    def to_yolo(self) -> str:
        """YOLO-seg label lines (class x1 y1 x2 y2 ... normalised)."""
        from .data.exports import to_yolo

        return to_yolo(self)

    # -- conveniences (lazy upward imports, the one allowed exception in the DAG) -------
    def plot(self, alpha: float | None = None, legend: bool | None = None, boxes: bool | None = None) -> np.ndarray:
        """A new (H, W, 3) uint8 RGB overlay image (alpha 0.5, legend and boxes unless told);
        without arguments on a result of ``stream(plot=...)``, the drawing the stream made
        (``plotted``, the same array on every call)."""
        if self.plotted is not None and alpha is None and legend is None and boxes is None:
            return self.plotted
        alpha = 0.5 if alpha is None else alpha
        legend, boxes = (True if legend is None else legend), (True if boxes is None else boxes)
        from .vis.overlay import draw_result

        return draw_result(self, alpha=alpha, legend=legend, boxes=boxes)

    def cutout(self, classes: Sequence[str | int] | None = None) -> np.ndarray:
        """(H, W, 4) uint8 RGBA: the person (or ``classes``) with a soft alpha; see vis.background."""
        from .vis.background import cutout

        return cutout(self, classes)

    def composite(self, background: np.ndarray | tuple[int, int, int] | None = None, blur: float | None = None,
                  classes: Sequence[str | int] | None = None) -> np.ndarray:
        """(H, W, 3) RGB: the person over ``background`` (image or colour), or the photo with its
        background blurred by ``blur`` (sigma, pixels)."""
        from .vis import background as bg

        if (background is None) == (blur is None):
            raise ValueError("composite() takes either background= or blur=")
        if blur is not None:
            return bg.blur_background(self, blur, classes)
        return bg.composite(self, background, classes)

    def save(self, path: str, alpha: float = 0.5) -> str:
        """Save the overlay (image suffix), the class-id mask (``*.mask.png`` / ``.npy``) or JSON."""
        from .io.sinks import save_result

        return str(save_result(self, path, alpha=alpha))
