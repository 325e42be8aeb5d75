"""`pixelwise serve`: the HTTP API and web page (needs pixelwise[serve])."""

from __future__ import annotations

import argparse

from ..errors import InputError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="HTTP API and web page (needs pixelwise[serve])")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--model", action="append", default=None, metavar="[NAME=]MODEL",
                   help="model to serve (repeatable); the first is the default. Default: the embedded model")
    p.add_argument("--workers", type=int, default=2, help="requests processed at once")
    p.add_argument("--queue", type=int, default=8, help="requests allowed to wait; beyond that: 503")
    p.add_argument("--threads", type=int, default=1, help="ONNX Runtime threads per request")
    p.add_argument("--max-upload-mb", type=float, default=20.0)
    p.set_defaults(run=run)


def parse_models(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or ["default"]:
        name, sep, model = v.partition("=")
        if not sep:
            name, model = (v if v in ("default", "default-int8") else v.rsplit("/", 1)[-1].removesuffix(".onnx")), v
        out[name] = model
    return out


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..serve.app import ServeConfig, create_app
        from ..serve.models import ModelPool
    except ImportError as exc:
        raise InputError(f"serving needs FastAPI and uvicorn: pip install 'pixelwise[serve]' ({exc})") from None
    pool = ModelPool(parse_models(args.model), threads=args.threads)
    pool.get(None)  # load the default now: a bad model fails here, in one line
    config = ServeConfig(workers=args.workers, queue=args.queue, max_upload_bytes=int(args.max_upload_mb * 2**20))
    print(f"pixelwise serving {', '.join(pool.names)} on http://{args.host}:{args.port}/ (API docs at /docs)")
    uvicorn.run(create_app(pool, config), host=args.host, port=args.port, log_level="warning",
                timeout_keep_alive=5)
    return 0
