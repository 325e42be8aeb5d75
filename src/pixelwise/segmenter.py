"""Segmenter: the front door. ``Segmenter()(image) -> Result``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .engine.auto import AutoConfig, check_images, open_model
from .engine.predictor import Predictor
from .engine.session import SessionConfig
from .errors import InputError, PixelwiseError
from .io.download import DEFAULT_URL_TIMEOUT_S, check_timeout
from .io.image import DEFAULT_MAX_PIXELS, check_max_pixels, read_image, to_rgb_array
from .io.inputs import ImageItem, resolve_inputs
from .io.video import FrameSource, open_source
from .options import PredictOptions
from .registry import resolve_model
from .result import Result
from .spec import ModelSpec
from .video.job import FrameJob, PlotArg, drawer_for
from .video.pipeline import PipelineStats
from .video.smoothing import TemporalSmoother
from .video.stream import STREAM_DEFAULTS, Stream, resolve_workers, threads_per_worker

__all__ = ["Segmenter", "ImageLike"]

ImageLike = Any  # str | os.PathLike | np.ndarray (RGB) | PIL.Image.Image


class Segmenter:
    """Segment images with an ONNX model (the embedded default unless told otherwise).

    Args:
        model: a known model name (``pixelwise models``), or a path to an .onnx file.
        imgsz: (height, width) to run dynamic models at; None = the model's own size.
        threads: ONNX Runtime intra-op threads (0 = all cores).
        int8: use the INT8 variant of a known model (``default`` -> ``default-int8``).
        confidence: also compute ``Result.confidence`` (probability of the winning class).
        classes: keep only these class ids (or names); the rest become background.
        conf, iou, max_det: instance-model thresholds (score, NMS IoU, detections kept).
        min_area: smallest region (pixels) that counts as an instance of a semantic model.
        max_pixels: refuse images larger than this many pixels (a clear error, not an OOM).
        timeout: seconds a URL may take to download, overall (a trickling server is cut off).
        options: a ready :class:`~pixelwise.options.PredictOptions` record instead of the
            prediction keywords (imgsz, classes, conf, ...), which then stay at their defaults.
        spec_overrides: ModelSpec fields to override (e.g. class names for a foreign model).
        backend: "auto" (default: the fastest installed path that keeps the model's answers,
            measured on first use and cached), "onnxruntime", "openvino" or "opencv".
        precision: "auto", "fp32", "bf16", "fp16" or "int8" (int8 = a quantized model file).
        force: run a path known to lose accuracy (OpenCV DNN on an INT8 file) instead of refusing.
        self_check: False skips auto's first-use measurement (a cached choice still counts).
        cache_dir: where auto's choices and OpenVINO's compiled models are cached
            (default ``$PIXELWISE_CACHE`` or ``~/.cache/pixelwise``).
        tile: (height, width) tiles for images larger than that: each tile runs at full
            resolution and the logits are stitched (semantic models with dynamic input).
        spinning: let ONNX Runtime's threads spin between runs: a few % faster for a loop of
            single images, but it slows other work in the process (streams, servers), so off
            by default.
        min_conf: semantic models: leave pixels whose winning-class probability is below this
            unlabelled (the ignore id: drawn transparent, excluded from areas); None = off.
        flip: semantic models: average the class probabilities of the image and of its mirror
            image (two inferences per image; about +0.5-1 mIoU on the default model).
        things: an instance model (YOLO-seg .onnx or known name) whose objects are merged over
            this semantic model's map (panoptic by composition, see engine/panoptic.py).
        things_map: the things model's class names -> this model's, ``{"person": "pedestrian"}``,
            ``"person=pedestrian,car=car"`` or a .json/.yaml file; unnamed classes map by equal name.
        things_score: objects scoring below this leave their pixels to the semantic map.
        low_res_masks: instance models: sample each mask from the model's prototype grid
            (1/4 of the input) with nearest-neighbour instead of bilinear interpolation:
            blockier edges, less post-processing.

    Calling it takes a path, URL, numpy **RGB** array (H, W, 3) uint8, or PIL image, and
    returns a Result; a list returns a list. Keywords of a call change prediction options for
    that call only (``seg(img, classes=["road"], conf=0.5)``): the names of
    :class:`~pixelwise.options.PredictOptions` (or ``imgsz``/``tile``), checked like the
    constructor's; a bad value or an unknown name raises :class:`~pixelwise.errors.OptionError`.
    """

    def __init__(self, model: str | os.PathLike[str] = "default", *, imgsz: tuple[int, int] | None = None,
                 threads: int = 0, int8: bool = False, confidence: bool = False,
                 classes: Iterable[int | str] | None = None, conf: float = 0.25, iou: float = 0.7,
                 max_det: int = 300, min_area: int = 64, max_pixels: int = DEFAULT_MAX_PIXELS,
                 timeout: float = DEFAULT_URL_TIMEOUT_S, options: PredictOptions | None = None,
                 spec_overrides: dict[str, Any] | None = None, backend: str = "auto",
                 tile: tuple[int, int] | None = None, spinning: bool = False, low_res_masks: bool = False,
                 min_conf: float | None = None, precision: str = "auto", force: bool = False,
                 self_check: bool = True, cache_dir: str | os.PathLike[str] | None = None,
                 things: str | os.PathLike[str] | None = None, things_map: Any = None,
                 things_score: float = 0.5, flip: bool = False) -> None:
        requested = PredictOptions.from_keywords(  # checked before anything is loaded
            options, imgsz=imgsz, confidence=confidence, classes=classes, min_area=min_area, conf=conf, iou=iou,
            max_det=max_det, tile=tile, low_res_masks=low_res_masks, min_conf=min_conf,
            flip=flip)
        self.max_pixels, self.timeout = check_max_pixels(max_pixels), check_timeout(timeout)
        name = str(model)
        if int8 and name == "default":
            name = "default-int8"
        self.model_path = resolve_model(name)
        session, spec, self.backend_choice = open_model(
            self.model_path, SessionConfig(threads=threads, spinning=spinning, force=force), spec_overrides, backend,
            precision, _auto_config(cache_dir, self_check))
        self.predictor = Predictor(session, spec)
        if things is not None:  # panoptic by composition: stuff from this model, things from an instance model
            from .engine.panoptic import PanopticPredictor

            t_session, t_spec, _ = open_model(
                resolve_model(str(things)), SessionConfig(threads=threads, spinning=spinning, force=force), None,
                backend, precision, _auto_config(cache_dir, self_check))
            self.predictor = PanopticPredictor(self.predictor, Predictor(t_session, t_spec), things_map, things_score)
        self.options = requested.resolve(spec)  # class names -> ids, a fixed input size kept

    @property
    def spec(self) -> ModelSpec:
        return self.predictor.spec

    @property
    def names(self) -> tuple[str, ...]:
        return self.spec.classes

    def load(self, source: ImageLike) -> tuple[np.ndarray, str | None]:
        """Any accepted image input -> ((H, W, 3) uint8 RGB, path or None)."""
        if isinstance(source, (str, Path)):
            return read_image(source, self.max_pixels, self.timeout), str(source)
        return to_rgb_array(source), None

    def options_for(self, **options: Any) -> PredictOptions:
        """This Segmenter's options with per-call changes, validated and resolved like the constructor's.

        Names are :class:`~pixelwise.options.PredictOptions` fields (``input_hw``, ``classes``,
        ``conf``, ...) or the constructor's ``imgsz``/``tile``; ``classes`` takes ids or names.
        """
        return self.options.updated(**options).resolve(self.spec) if options else self.options

    def predict_array(self, image: np.ndarray, path: str | None = None, **options: Any) -> Result:
        """Segment an already-loaded RGB array (the image is not checked: the fast path for streams)."""
        return self.predictor(image, self.options_for(**options), path=path)

    def __call__(self, source: ImageLike | list[ImageLike], **options: Any) -> Result | list[Result]:
        if isinstance(source, list):
            return [self(s, **options) for s in source]
        image, path = self.load(source)
        return self.predict_array(image, path, **options)

    def predict_many(self, sources: Iterable[str | os.PathLike[str]], recursive: bool = False,
                     **options: Any) -> Iterator[tuple[str, Result | PixelwiseError]]:
        """Files, folders, globs and URLs -> (source, Result or the error), one at a time.

        A bad input yields its error and the loop goes on: a batch never loses work.
        """
        for item in resolve_inputs(sources, recursive=recursive):
            yield item.source, self._predict_item(item, options)

    def _predict_item(self, item: ImageItem, options: dict[str, Any]) -> Result | PixelwiseError:
        if item.error is not None:
            return item.error
        try:
            image = read_image(item.source, self.max_pixels, self.timeout)
            return self.predict_array(image, item.source, **options)
        except PixelwiseError as exc:
            return exc

    def stream(self, source: int | str | os.PathLike[str] | FrameSource, *, every: int = 1,
               max_frames: int | None = None, dual_buffer: bool = STREAM_DEFAULTS.dual_buffer,
               depth: int = STREAM_DEFAULTS.depth, retries: int = 3, smooth: float = 0.0, track: bool | str = False,
               workers: int = STREAM_DEFAULTS.workers, plot: PlotArg = False,
               out: str | os.PathLike[str] | None = None, save_masks: str | os.PathLike[str] | None = None,
               save_json: str | os.PathLike[str] | None = None, **options: Any) -> Stream[Result]:
        """Segment a video file, camera (``0``), stream URL, folder or glob, frame by frame.

        Returns an iterable :class:`~pixelwise.video.stream.Stream` of Results (with
        ``frame_index`` and ``timestamp``), the same pipeline as ``pixelwise stream``:
        decoding, inference and the caller's loop overlap in threads, and results are made
        ahead into a bounded queue (``depth``) while the loop handles one, unless
        ``dual_buffer=False``. ``workers`` = 0 (automatic): 2 frames in the model at once on
        2+ cores, each run on cores/2 threads (a session of its own when this Segmenter's
        ``threads`` is 0), results still in frame order. Live sources drop stale frames
        (counted in ``stats.dropped``).

        Work asked for here runs in the pipeline's threads, not in your loop: ``plot=True``
        draws each result's overlay (``res.plot()`` then returns it at once; also
        ``res.plotted``), ``plot={"alpha": 0.3, "legend": False}`` with those options, or
        ``plot=fn`` with your own ``fn(result) -> (H, W, 3) uint8 RGB``; ``out="video.mp4"``
        writes the drawings (finalised when the loop ends, breaks or fails);
        ``save_masks=DIR`` writes each frame's class ids as ``DIR/000123.png``.
        ``smooth`` in [0, 1) averages a semantic model's class probabilities over frames
        (the weight of the past; needs one worker), which steadies flickering labels.
        ``track`` gives the objects ``instances.track_ids`` that stay the same from frame
        to frame (drawn as ``#id``): ByteTrack when ``pixelwise[track]`` is installed, else an IoU
        matcher (``track="bytetrack"`` or ``"iou"`` chooses; see video/tracking.py).
        ``save_json="frames.jsonl"`` writes one line per frame (``Result.to_dict`` without
        masks, plus ``timestamp``), in frame order, flushed line by line.

        Background effects of a person model (the video-call use): ``plot=BackgroundEffect(
        blur=15, smooth=0.5)`` or ``BackgroundEffect(background=(0, 177, 64))`` (from
        ``pixelwise.vis.background``) keeps the person and blurs or replaces the rest; the
        matte is made in the worker threads and smoothed over frames in frame order, and
        ``res.plotted`` (what ``out=`` writes) is the composited frame.
        """
        workers = resolve_workers(workers, dual_buffer=dual_buffer, in_order=bool(smooth))
        if smooth and workers > 1:
            raise InputError("smoothing needs the frames in order: use workers=1 with smooth")
        draw = drawer_for(plot, writing=out is not None)
        if getattr(draw, "wants_confidence", False) and self.spec.gives_confidence:
            options.setdefault("confidence", True)  # e.g. a BackgroundEffect's soft matte
        if smooth:
            options["output_filter"] = TemporalSmoother(smooth)
        predictor = self._stream_predictor(workers if dual_buffer else 1)
        opts = self.options_for(**options)
        src = source if isinstance(source, FrameSource) else open_source(source, retries=retries)
        stats = PipelineStats()
        job = FrameJob(lambda image: predictor(image, opts), draw=draw, track=track, out=out,
                       fps=src.fps / max(every, 1), masks_dir=save_masks, stats=stats, save_json=save_json)
        return Stream(src, job.work, every=every, max_frames=max_frames, dual_buffer=dual_buffer, depth=depth,
                      workers=workers, finish=job.finish if job.in_order else None, end=job.end, stats=stats)

    def _stream_predictor(self, workers: int) -> Predictor:
        """The predictor for ``workers`` frame-parallel runs: each run gets cores/workers threads,
        from a session of its own (made once) when this Segmenter's ONNX Runtime threads are
        automatic: two runs sharing one all-core thread pool were slower (bench/stream.py)."""
        session = getattr(self.predictor, "session", None)
        config = getattr(session, "config", None)
        if (workers < 2 or type(self.predictor) is not Predictor or config is None or config.threads != 0
                or getattr(session, "backend", "onnxruntime") != "onnxruntime"):
            return self.predictor
        from dataclasses import replace

        from .engine.session import open_session

        threads = threads_per_worker(workers)
        cache = self.__dict__.setdefault("_stream_predictors", {})
        if threads not in cache:
            stream_config = replace(config, threads=threads, spinning=STREAM_DEFAULTS.spinning)
            cache[threads] = Predictor(open_session(self.model_path, stream_config, "onnxruntime"), self.spec)
        return cache[threads]

    def __repr__(self) -> str:
        s = self.spec
        return (f"Segmenter(model={s.name or str(self.model_path)!r}, adapter={s.adapter!r}, "
                f"classes={s.num_classes}, input={s.input_hw[0]}x{s.input_hw[1]})")


def _auto_config(cache: str | os.PathLike[str] | None, self_check: bool) -> AutoConfig:
    """auto's cache (atomic writes) and check images: the packaged street scene and crops of it."""
    from .io.image import atomic_write_bytes
    from .registry import cache_dir

    def images() -> list[np.ndarray]:
        return check_images(read_image(Path(__file__).parent / "assets" / "leuvenA.jpg"))

    return AutoConfig(cache_dir=Path(cache) if cache is not None else cache_dir(), images=images,
                      save=atomic_write_bytes, self_check=self_check)
