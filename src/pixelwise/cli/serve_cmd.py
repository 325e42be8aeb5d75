"""`pixelwise serve`: the HTTP API and web page (needs pixelwise[serve]).

Everything that can be refused is refused before the server listens, in one line with
exit 2: a model that cannot be loaded (every ``--model`` is loaded at start), a model name
given twice, an address that cannot be bound (a port in use, an unknown host).
"""

from __future__ import annotations

import argparse
import errno
import socket

from ..errors import InputError, PixelwiseRuntimeError


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0..65535 (0: any free port), got {text!r}")
    return int(text)


def _count(minimum: int):  # an argparse type
    def parse(text: str) -> int:
        if not text.strip().isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}")
        return int(text)

    return parse


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="HTTP API and web page (needs pixelwise[serve])")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000, help="0: any free port (printed at start)")
    p.add_argument("--model", action="append", default=None, metavar="[NAME=]MODEL",
                   help="model to serve (repeatable); the first is the default. Default: the embedded model")
    p.add_argument("--things", action="append", default=None, metavar="[NAME=]MODEL",
                   help="an instance model (YOLO-seg .onnx) whose objects are merged over the served model NAME's "
                        "class map (panoptic; default NAME: the first --model); repeatable, one per served model")
    p.add_argument("--things-map", default=None, metavar="THING=CLASS,...|FILE",
                   help="things-model class -> served model class (e.g. person=pedestrian), for every --things")
    p.add_argument("--things-score", type=float, default=0.5, metavar="P",
                   help="objects scoring below this leave their pixels to the class map (default 0.5)")
    p.add_argument("--workers", type=_count(1), default=2, help="requests processed at once")
    p.add_argument("--queue", type=_count(0), default=8, help="requests allowed to wait; beyond that: 503")
    p.add_argument("--threads", type=_count(0), default=1, help="ONNX Runtime threads per request (0: all cores)")
    p.add_argument("--max-upload-mb", type=_positive, default=20.0)
    p.add_argument("--max-image-mp", type=_positive, default=40.0,
                   help="pixel budget of a decoded image, megapixels (beyond: 413)")
    p.add_argument("--max-imgsz-mp", type=_positive, default=None,
                   help="pixel budget of the imgsz a request may ask for, megapixels (beyond: 422; default 4.2)")
    p.add_argument("--head-timeout", type=_positive, default=10.0, metavar="S",
                   help="seconds a client has to send the request line and headers (then 408, closed)")
    p.add_argument("--upload-timeout", type=_positive, default=60.0, metavar="S",
                   help="seconds a client has to send the whole image (then 408)")
    p.set_defaults(run=run)


def parse_models(values: list[str] | None) -> dict[str, str]:
    """``[NAME=]MODEL`` arguments -> {name: model}; bad or repeated names are InputError."""
    out: dict[str, str] = {}
    for v in values or ["default"]:
        name, sep, model = v.partition("=")
        if not sep:
            name, model = (v if v in ("default", "default-int8") else v.rsplit("/", 1)[-1].removesuffix(".onnx")), v
        if not name.strip() or not model.strip():
            raise InputError(f"--model: expected NAME=MODEL or MODEL, got {v!r}")
        if name in out:
            raise InputError(f"--model: model name {name!r} is given twice ({out[name]} and {model}); "
                             "name them apart with NAME=MODEL")
        out[name] = model
    return out


def parse_things(values: list[str] | None, models: dict[str, str], things_map: str | None,
                 score: float) -> dict[str, dict]:
    """``--things [NAME=]MODEL`` arguments -> {served name: Segmenter keywords}; InputError when bad."""
    if not values:
        if things_map is not None:
            raise InputError("--things-map needs --things MODEL (the instance model whose classes it maps)")
        return {}
    if not 0.0 <= score <= 1.0:
        raise InputError(f"--things-score must be between 0 and 1, got {score}")
    out: dict[str, dict] = {}
    first = next(iter(models))
    for v in values:
        name, sep, model = v.partition("=")
        if not sep or name not in models:  # a path may contain "=": only a served name before it counts
            name, model = first, v
        if not model.strip():
            raise InputError(f"--things: expected [NAME=]MODEL, got {v!r}")
        if name in out:
            raise InputError(f"--things: model {name!r} is given two things models ({out[name]['things']} and "
                             f"{model}); pair each served model once")
        out[name] = {"things": model, "things_map": things_map, "things_score": score}
    return out


def listen(host: str, port: int) -> socket.socket:
    """A bound TCP socket for ``host:port``; InputError naming the address if that is impossible."""
    where = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                          flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {where}: unknown host ({exc.strerror}); use --host 127.0.0.1 "
                         "or an address of this machine") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        why = ("address already in use; stop the other server or choose another --port"
               if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc)))
        raise InputError(f"cannot listen on {where}: {why}") from None
    sock.listen(128)  # connections made once the address is printed wait for the server, never refused
    return sock


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..serve.app import SERVE_MAX_INPUT_PIXELS, ServeConfig, create_app
        from ..serve.models import ModelPool
        from ..serve.protocol import uvicorn_config
    except ImportError as exc:
        raise InputError(f"serving needs FastAPI and uvicorn: pip install 'pixelwise[serve]' ({exc})") from None
    models = parse_models(args.model)
    pool = ModelPool(models, threads=args.threads,
                     things=parse_things(args.things, models, args.things_map, args.things_score))
    imgsz_mp = args.max_imgsz_mp if args.max_imgsz_mp is not None else SERVE_MAX_INPUT_PIXELS / 1e6
    config = ServeConfig(workers=args.workers, queue=args.queue, max_upload_bytes=int(args.max_upload_mb * 2**20),
                         max_pixels=int(args.max_image_mp * 1e6), max_input_pixels=int(imgsz_mp * 1e6),
                         upload_timeout_s=args.upload_timeout, head_timeout_s=args.head_timeout)
    sock = listen(args.host, args.port)  # cheap checks first: settings, the address, then the models
    try:
        pool.load_all()  # every model now: a bad one is refused here, in one line, before the server answers
    except BaseException:
        sock.close()
        raise
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"pixelwise serving {', '.join(pool.names)} on http://{shown}:{port}/ (API docs at /docs)", flush=True)
    server = uvicorn.Server(uvicorn_config(create_app(pool, config), host, port, config.head_timeout_s,
                                           config.write_timeout_s))
    with sock:
        server.run(sockets=[sock])
    if not server.started:
        raise PixelwiseRuntimeError(f"the server on http://{shown}:{port} did not start (see the messages above)")
    return 0
