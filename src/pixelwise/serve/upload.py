"""Reading an uploaded image: size limit, stall and overall deadlines, clients that go away.

Raw bodies (``image/*``, ``application/octet-stream``) and multipart forms (field ``image``)
are accepted. The body is read in chunks: more than ``max_upload_bytes`` -> 413, no chunk
for ``read_timeout_s`` or the whole body not in within ``upload_timeout_s`` -> 408 (so a
client trickling a byte at a time cannot hold a worker). A client that disconnects
mid-upload raises :class:`ClientGone`, which the app answers quietly (one log line).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.requests import ClientDisconnect, Request

from .status import ApiError

__all__ = ["ClientGone", "read_image_upload"]


class ClientGone(Exception):
    """The client closed the connection before its upload was complete."""


async def _read_body(request: Request, max_bytes: int, stall_s: float, total_s: float) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, f"upload of {int(declared)} bytes exceeds the limit of {max_bytes} bytes")
    chunks, size = [], 0
    stream = request.stream().__aiter__()
    deadline = time.monotonic() + total_s
    while True:
        left = deadline - time.monotonic()
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), timeout=max(0.0, min(stall_s, left)))
        except StopAsyncIteration:
            break
        except ClientDisconnect:
            raise ClientGone(f"client disconnected during the upload ({size} bytes received)") from None
        except asyncio.TimeoutError:
            if left <= stall_s:
                raise ApiError(408, f"upload not complete within {total_s:g} s ({size} bytes received)") from None
            raise ApiError(408, f"upload stalled for more than {stall_s:g} s ({size} bytes received)") from None
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, f"upload exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _form_image(request: Request, body: bytes) -> tuple[bytes, str]:
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


async def read_image_upload(request: Request, max_bytes: int, stall_s: float, total_s: float) -> tuple[bytes, str]:
    """(encoded image bytes, a name for messages) from a raw or multipart upload."""
    body = await _read_body(request, max_bytes, stall_s, total_s)
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        return await _form_image(request, body)
    if ctype and not ctype.startswith(("image/", "application/octet-stream")):
        raise ApiError(415, f"unsupported content type {ctype!r}; send an image (image/png, image/jpeg, ...) "
                            "or multipart/form-data")
    if not body:
        raise ApiError(422, "empty request body; send an image")
    return body, "upload"
