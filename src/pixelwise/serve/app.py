"""The HTTP API and the web page.

    POST /v1/segment   image (multipart field "image" or raw body) -> JSON | overlay | mask
    GET  /v1/models    names, classes, colours, input sizes
    GET  /healthz      the process is up;  GET /readyz  the default model is loaded
    GET  /             the web page;       GET /docs     OpenAPI UI

Requests run on a bounded worker pool: at most ``workers`` run and ``queue`` wait; beyond
that the server answers 503 with Retry-After instead of piling requests up. Bad input
never produces a 500: sizes -> 413, non-images -> 415, corrupt images and bad options ->
422, unknown models -> 404, slow uploads -> 408.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from .. import __version__
from ..errors import ImageReadError
from ..io.image import decode_image, encode_png
from .models import ModelPool, UnknownModel

__all__ = ["ServeConfig", "create_app"]

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class ServeConfig:
    workers: int = 2
    queue: int = 8
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    read_timeout_s: float = 10.0


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _image_error(exc: ImageReadError) -> ApiError:
    text = str(exc)
    if "MP, more than the limit" in text:
        return ApiError(413, text)
    if "not an image" in text or "empty file" in text:
        return ApiError(415, text)
    return ApiError(422, text)


async def _read_body(request: Request, config: ServeConfig) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_upload_bytes:
        raise ApiError(413, f"upload of {int(declared)} bytes exceeds the limit of {config.max_upload_bytes} bytes")
    chunks, size = [], 0
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=config.read_timeout_s)
        except StopAsyncIteration:
            break
        except asyncio.TimeoutError:
            raise ApiError(408, f"upload stalled for more than {config.read_timeout_s:.0f} s") from None
        size += len(chunk)
        if size > config.max_upload_bytes:
            raise ApiError(413, f"upload exceeds the limit of {config.max_upload_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _image_bytes(request: Request, config: ServeConfig) -> tuple[bytes, str]:
    body = await _read_body(request, config)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(request.scope, replay).form()
        try:
            upload = form.get("image") or next((v for v in form.values() if hasattr(v, "read")), None)
            if upload is None or not hasattr(upload, "read"):
                raise ApiError(422, "multipart upload has no file field (send the image as field 'image')")
            return await upload.read(), upload.filename or "upload"
        finally:
            await form.close()
    if ctype and not ctype.startswith(("image/", "application/octet-stream")):
        raise ApiError(415, f"unsupported content type {ctype!r}; send an image (image/png, image/jpeg, ...) "
                            "or multipart/form-data")
    if not body:
        raise ApiError(422, "empty request body; send an image")
    return body, "upload"


def _parse_imgsz(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    h, _, w = text.lower().partition("x")
    if not (h.isdigit() and w.isdigit()) or not (16 <= int(h) <= 4096 and 16 <= int(w) <= 4096):
        raise ApiError(422, f"imgsz must be HEIGHTxWIDTH between 16 and 4096, got {text!r}")
    return int(h), int(w)


def _parse_classes(text: str | None, names: tuple[str, ...]) -> tuple[int, ...] | None:
    if not text:
        return None
    ids = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part.isdigit() and int(part) < len(names):
            ids.append(int(part))
        elif part in names:
            ids.append(names.index(part))
        else:
            raise ApiError(422, f"unknown class {part!r}; the model's classes are: {', '.join(names)}")
    return tuple(ids)


def create_app(pool: ModelPool, config: ServeConfig = ServeConfig()) -> FastAPI:  # noqa: C901 - routes
    executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="pixelwise-serve")
    slots = threading.BoundedSemaphore(config.workers + config.queue)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202, ARG001
        yield
        executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="pixelwise", version=__version__, lifespan=lifespan,
                  description="Image segmentation on the CPU. POST an image to /v1/segment.")

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:  # noqa: ARG001
        return JSONResponse({"error": {"status": exc.status, "message": exc.message}}, exc.status, exc.headers)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        try:
            pool.get(None)
        except Exception as exc:  # noqa: BLE001 - not ready, say why
            return JSONResponse({"status": "not ready", "reason": str(exc)}, 503)
        return JSONResponse({"status": "ready", "models": pool.names})

    @app.get("/v1/models")
    def models() -> list[dict]:
        return pool.describe()

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse((STATIC / "index.html").read_text())

    @app.post("/v1/segment", responses={200: {"content": {"application/json": {}, "image/png": {}, "image/jpeg": {}}}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "image/png": {"schema": {"type": "string", "format": "binary"}},
                  "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                  "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
                      "image": {"type": "string", "format": "binary"}}}}}}})
    async def segment(
        request: Request,
        model: str | None = Query(None, description="model name (GET /v1/models); default: the first"),
        imgsz: str | None = Query(None, description="input size HEIGHTxWIDTH for dynamic models"),
        alpha: float = Query(0.5, ge=0.0, le=1.0, description="overlay opacity"),
        classes: str | None = Query(None, description="keep only these classes (ids or names, comma-separated)"),
        output: Literal["json", "overlay", "mask"] = Query("json"),
        masks: Literal["rle", "polygons", "none"] = Query("rle", description="instance masks in JSON"),
        format: Literal["png", "jpeg"] = Query("png", description="overlay image format"),  # noqa: A002
        mask_png: bool = Query(False, description="JSON: add the class-id mask as base64 PNG"),
    ) -> Response:
        t0 = time.perf_counter()
        try:
            seg = pool.get(model)
        except UnknownModel as exc:
            raise ApiError(404, str(exc)) from None
        hw = _parse_imgsz(imgsz)
        if hw is not None and not seg.spec.dynamic:
            raise ApiError(422, f"model {model or pool.default!r} has a fixed input size; imgsz cannot change it")
        class_ids = _parse_classes(classes, seg.names)
        data, name = await _image_bytes(request, config)
        if not slots.acquire(blocking=False):
            raise ApiError(503, "server busy: too many requests in flight; retry shortly", {"Retry-After": "1"})
        try:
            loop = asyncio.get_running_loop()
            body, media, timings = await loop.run_in_executor(
                executor, _work, seg, data, name, config, hw, class_ids, output, masks, format, alpha, mask_png)
        finally:
            slots.release()
        timings["total"] = (time.perf_counter() - t0) * 1e3
        headers = {f"X-Pixelwise-{k.capitalize()}-Ms": f"{v:.2f}" for k, v in timings.items()}
        headers["X-Pixelwise-Model"] = model or pool.default
        return Response(body, media_type=media, headers=headers)

    return app


def _work(seg, data: bytes, name: str, config: ServeConfig, hw, class_ids, output: str, masks: str,  # noqa: ANN001
          fmt: str, alpha: float, mask_png: bool) -> tuple[bytes, str, dict[str, float]]:
    import json

    import cv2
    import numpy as np

    try:
        image = decode_image(data, name, config.max_pixels)
    except ImageReadError as exc:
        raise _image_error(exc) from None
    opts: dict[str, Any] = {"classes": class_ids}
    if hw is not None:
        opts["input_hw"] = hw
    result = seg.predict_array(image, name, **opts)
    timings = dict(result.timings_ms)
    t = time.perf_counter()
    if output == "mask":
        body, media = encode_png(result.semantic if result.semantic.dtype == np.uint8
                                 else result.semantic.astype(np.uint16)), "image/png"
    elif output == "overlay":
        overlay = result.plot(alpha=alpha)
        if fmt == "jpeg":
            ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(overlay[..., ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 90])
            body, media = buf.tobytes(), "image/jpeg"
        else:
            body, media = encode_png(overlay), "image/png"
    else:
        doc = result.to_dict(masks=masks)
        if mask_png:
            doc["mask_png_base64"] = base64.b64encode(encode_png(result.semantic)).decode("ascii")
        body, media = json.dumps(doc).encode(), "application/json"
    timings["encode"] = (time.perf_counter() - t) * 1e3
    return body, media, timings
