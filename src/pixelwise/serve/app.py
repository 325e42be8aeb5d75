"""The HTTP API and the web page.

    POST /v1/segment   image (multipart field "image" or raw body) -> JSON | overlay | mask
                       | cutout (RGBA PNG) | blur | composite (person models, see .effects)
    GET  /v1/models    names, classes, colours, input sizes
    GET  /healthz      the process is up;  GET /readyz  every model is loaded (503 naming those that are not)
    GET  /             the web page;       GET /docs     OpenAPI UI (served locally, works offline)

Requests run on a bounded worker pool: at most ``workers`` run and ``queue`` wait; beyond
that the server answers 503 with Retry-After instead of piling requests up. Bad input
never produces a 500: status codes follow the error's type (:mod:`.status`): sizes -> 413,
non-images -> 415, corrupt images and bad options -> 422, unknown models -> 404, models
that cannot be loaded -> 503 (and /readyz not ready), slow uploads -> 408. Every error
answer is ``{"error": {"status": N, "message": "one line"}}``.

Every request has a pixel budget: the decoded image (``max_pixels``) and the model input
size asked for with ``imgsz`` (``max_input_pixels``, :data:`SERVE_MAX_INPUT_PIXELS` by
default: tighter than the library's :data:`pixelwise.options.MAX_INPUT_PIXELS`, because
ONNX Runtime keeps the memory of the largest input it has run for the life of the process).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from .. import __version__
from ..errors import OptionError, PixelwiseError, PixelwiseRuntimeError
from ..io.image import decode_image, encode_png
from ..options import MAX_INPUT_PIXELS
from .docs import add_docs
from .effects import check_effect, effect_options, render_effect
from .models import ModelPool
from .status import ApiError, status_for
from .upload import ClientGone, read_image_upload

__all__ = ["SERVE_MAX_INPUT_PIXELS", "ServeConfig", "create_app"]

STATIC = Path(__file__).parent / "static"
SERVE_MAX_INPUT_PIXELS = 2048 * 2048  # imgsz budget: ~0.6 GB resident after the largest request (default model)
log = logging.getLogger("pixelwise.serve")


@dataclass(frozen=True)
class ServeConfig:
    workers: int = 2
    queue: int = 8
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000  # decoded image
    max_input_pixels: int = SERVE_MAX_INPUT_PIXELS  # model input (imgsz)
    read_timeout_s: float = 10.0  # longest pause between two chunks of an upload
    upload_timeout_s: float = 60.0  # the whole upload
    head_timeout_s: float = 10.0  # the request line and headers (see .protocol)
    write_timeout_s: float = 60.0  # a client that reads nothing of its response for this long is dropped

    def __post_init__(self) -> None:
        if self.workers < 1 or self.queue < 0:
            raise OptionError(f"serve: workers must be >= 1 and queue >= 0, got {self.workers} and {self.queue}")
        limits = {k: v for k, v in vars(self).items() if k not in ("workers", "queue")}
        bad = [f"{k}={v!r}" for k, v in limits.items() if not (isinstance(v, (int, float)) and v > 0)]
        if bad:
            raise OptionError(f"serve: limits and timeouts must be > 0, got {', '.join(bad)}")
        if self.max_input_pixels > MAX_INPUT_PIXELS:
            raise OptionError(f"serve: the imgsz budget of {self.max_input_pixels / 1e6:.1f} MP is above the "
                              f"library's {MAX_INPUT_PIXELS / 1e6:.1f} MP (pixelwise.options.MAX_INPUT_PIXELS)")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status, headers)


def _validation_message(exc: RequestValidationError) -> str:
    """FastAPI's list of validation errors as one line: ``alpha: Input should be ... (got 'nan')``."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "body", "path"))
        got = f" (got {err['input']!r})" if isinstance(err.get("input"), (str, int, float)) else ""
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}{got}")
    return "; ".join(parts) or "invalid request"


def _add_error_handlers(app: FastAPI) -> None:
    """Every error answer is ``{"error": {"status": N, "message": "one line"}}``."""

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def server_bug(request: Request, exc: Exception) -> JSONResponse:
        first = (str(exc).splitlines() or [""])[0][:200]
        return _error(500, f"internal error ({type(exc).__name__}: {first}); the server log has the details")

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.message, exc.headers)

    @app.exception_handler(PixelwiseError)
    async def pixelwise_error(request: Request, exc: PixelwiseError) -> JSONResponse:
        return _error(status_for(exc), str(exc))

    @app.exception_handler(MemoryError)
    async def memory_error(request: Request, exc: MemoryError) -> JSONResponse:
        log.warning("out of memory for a request: %s", exc)
        return _error(503, "not enough memory for this request now; retry, or send a smaller image or imgsz",
                      {"Retry-After": "5"})

    @app.exception_handler(ClientGone)
    async def client_gone(request: Request, exc: ClientGone) -> Response:
        log.info("%s", exc)
        return Response(status_code=400)  # nobody reads it: the connection is gone


def _parse_imgsz(text: str | None, budget: int) -> tuple[int, int] | None:
    if text is None:
        return None
    h, _, w = text.lower().partition("x")
    if not (h.isdigit() and w.isdigit()) or not (16 <= int(h) <= 8192 and 16 <= int(w) <= 8192):
        raise ApiError(422, f"imgsz must be HEIGHTxWIDTH with sides between 16 and 8192, got {text!r}")
    if int(h) * int(w) > budget:
        raise ApiError(422, f"imgsz {int(h)}x{int(w)} has {int(h) * int(w) / 1e6:.1f} MP, more than this server's "
                            f"pixel budget of {budget / 1e6:.1f} MP per request; use a smaller imgsz")
    return int(h), int(w)


def _options(seg: Any, hw: tuple[int, int] | None, classes: str | None, flip: bool = False) -> dict[str, Any]:
    """The request's prediction options, checked by the library's one validation layer (OptionError -> 422)."""
    opts: dict[str, Any] = {"flip": True} if flip else {}
    if hw is not None:
        opts["input_hw"] = hw
    if classes:
        opts["classes"] = tuple(p.strip() for p in classes.split(",") if p.strip())
    seg.options_for(**opts)  # unknown classes, a fixed-size model asked for imgsz, ... : before the upload is read
    return opts


def _add_status_routes(app: FastAPI, pool: ModelPool) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        unavailable = pool.unavailable()
        if unavailable:
            return JSONResponse({"status": "not ready", "unavailable": list(unavailable),
                                 "reason": "; ".join(unavailable.values())}, 503)
        return JSONResponse({"status": "ready", "models": pool.names})

    @app.get("/v1/models")
    def models() -> list[dict]:
        return pool.describe()

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text())


SEGMENT_DOC = {"responses": {200: {"content": {"application/json": {}, "image/png": {}, "image/jpeg": {}}}},
               "openapi_extra": {"requestBody": {"required": True, "content": {
                   "image/png": {"schema": {"type": "string", "format": "binary"}},
                   "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                   "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
                       "image": {"type": "string", "format": "binary"}}}}}}}}


def create_app(pool: ModelPool, config: ServeConfig = ServeConfig()) -> FastAPI:
    executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="pixelwise-serve")
    slots = threading.BoundedSemaphore(config.workers + config.queue)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="pixelwise", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Image segmentation on the CPU. POST an image to /v1/segment.")
    _add_error_handlers(app)
    _add_status_routes(app, pool)
    add_docs(app, "pixelwise")

    @app.post("/v1/segment", **SEGMENT_DOC)
    async def segment(
        request: Request,
        model: str | None = Query(None, description="model name (GET /v1/models); default: the first"),
        imgsz: str | None = Query(None, description=f"input size HEIGHTxWIDTH for dynamic models "
                                                    f"(at most {config.max_input_pixels / 1e6:.1f} MP)"),
        alpha: float = Query(0.5, ge=0.0, le=1.0, description="overlay opacity"),
        classes: str | None = Query(None, description="keep only these classes (ids or names, comma-separated)"),
        flip: bool = Query(False, description="semantic models: average the class probabilities of the image and "
                                              "its mirror image (twice the inference)"),
        output: Literal["json", "overlay", "mask", "cutout", "blur", "composite"] = Query(
            "json", description="cutout: RGBA PNG of the person; blur / composite: the background blurred / "
                                "replaced by `background` (person models)"),
        masks: Literal["rle", "polygons", "none"] = Query("rle", description="instance masks in JSON"),
        format: Literal["png", "jpeg"] = Query("png", description="overlay/blur/composite image format"),
        mask_png: bool = Query(False, description="JSON: add the class-id mask as base64 PNG"),
        sigma: float = Query(15.0, gt=0.0, le=200.0, description="output=blur: Gaussian sigma in pixels"),
        background: str | None = Query(None, description="output=composite: #rrggbb (%23 in a URL), R,G,B or "
                                                         "white/black/green/blue/grey"),
    ) -> Response:
        t0 = time.perf_counter()
        seg = pool.get(model)
        opts = _options(seg, _parse_imgsz(imgsz, config.max_input_pixels), classes, flip)
        colour = check_effect(seg, output, background)  # before the upload: a person class, a valid colour
        render = _Render(output, masks, format, alpha, mask_png, sigma, colour)
        data, name = await read_image_upload(request, config.max_upload_bytes, config.read_timeout_s,
                                             config.upload_timeout_s)
        if not slots.acquire(blocking=False):
            raise ApiError(503, "server busy: too many requests in flight; retry shortly", {"Retry-After": "1"})
        try:
            loop = asyncio.get_running_loop()
            body, media, timings, extra = await loop.run_in_executor(
                executor, _work, seg, data, name, config, effect_options(seg, output, opts), render)
        finally:
            slots.release()
        timings["total"] = (time.perf_counter() - t0) * 1e3
        headers = {f"X-Pixelwise-{k.capitalize()}-Ms": f"{v:.2f}" for k, v in timings.items()}
        headers.update(extra)
        headers["X-Pixelwise-Model"] = model or pool.default
        return Response(body, media_type=media, headers=headers)

    return app


def _predict(seg, image: Any, name: str, opts: dict[str, Any]) -> Any:
    """``seg.predict_array``; a failure that is not ours names the model (500, traceback in the log)."""
    try:
        return seg.predict_array(image, name, **opts)
    except (PixelwiseError, MemoryError):
        raise
    except Exception as exc:
        model = seg.spec.name or "the model"
        log.exception("inference of %s with model %s failed", name, model)
        first = (str(exc).splitlines() or [""])[0][:200]
        raise PixelwiseRuntimeError(f"model {model} failed on this image ({type(exc).__name__}: {first})") from None


@dataclass(frozen=True)
class _Render:
    """What the answer to one request is made of (the query's output options)."""

    output: str
    masks: str
    fmt: str
    alpha: float
    mask_png: bool
    sigma: float
    colour: tuple[int, int, int] | None


def _encode_rgb(image: Any, fmt: str, name: str) -> tuple[bytes, str]:
    from ..io.codecs import encode_jpeg

    if fmt != "jpeg":
        return encode_png(image), "image/png"
    return encode_jpeg(image, 90, what=f"{name}: the answer"), "image/jpeg"


def _work(seg, data: bytes, name: str, config: ServeConfig, opts: dict[str, Any],
          render: _Render) -> tuple[bytes, str, dict[str, float], dict[str, str]]:
    import json

    import numpy as np

    image = decode_image(data, name, config.max_pixels)
    result = _predict(seg, image, name, opts)
    timings = dict(result.timings_ms)
    t = time.perf_counter()
    extra: dict[str, str] = {}
    if render.output == "mask":
        body, media = encode_png(result.semantic if result.semantic.dtype == np.uint8
                                 else result.semantic.astype(np.uint16)), "image/png"
    elif render.output == "overlay":
        body, media = _encode_rgb(result.plot(alpha=render.alpha), render.fmt, name)
    elif render.output == "json":
        doc = result.to_dict(masks=render.masks)
        if render.mask_png:
            doc["mask_png_base64"] = base64.b64encode(encode_png(result.semantic)).decode("ascii")
        body, media = json.dumps(doc).encode(), "application/json"
    else:
        body, media, extra = render_effect(result, render.output, render.sigma, render.colour,
                                           lambda rgb: _encode_rgb(rgb, render.fmt, name))
    timings["encode"] = (time.perf_counter() - t) * 1e3
    return body, media, timings, extra
