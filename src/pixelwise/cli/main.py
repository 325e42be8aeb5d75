"""`pixelwise` command line: one sub-command per module, heavy imports inside each.

Exit codes: 0 success, 2 bad usage or input, 1 runtime failure. Errors print one line
(``pixelwise: error: ...``); ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import PixelwiseError

__all__ = ["main", "build_parser"]



def build_parser() -> argparse.ArgumentParser:
    from . import (
        batch_cmd,
        convert_cmd,
        export_cmd,
        models_cmd,
        predict_cmd,
        quantize_cmd,
        serve_cmd,
        stream_cmd,
        train_cmd,
        val_cmd,
    )

    parser = argparse.ArgumentParser(prog="pixelwise", description="Segment images on the CPU.")
    parser.add_argument("--version", action="version", version=f"pixelwise {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (predict_cmd, stream_cmd, batch_cmd, serve_cmd, models_cmd, val_cmd, train_cmd, export_cmd,
                   convert_cmd, quantize_cmd):
        module.add_parser(sub)
    return parser


def _dump_stacks_on_sigusr1() -> None:
    """``kill -USR1 <pid>`` prints every thread's stack to stderr: what a stuck run is doing."""
    import faulthandler
    import signal

    if hasattr(signal, "SIGUSR1"):
        try:
            faulthandler.register(signal.SIGUSR1, all_threads=True)
        except (ValueError, OSError):  # stderr without a file descriptor (an in-process test runner)
            pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    _dump_stacks_on_sigusr1()
    try:
        return int(args.run(args) or 0)
    except PixelwiseError as exc:
        if args.debug:
            raise
        print(f"pixelwise: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pixelwise: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, not a traceback
        if args.debug:
            raise
        print(f"pixelwise: error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
