"""Parsers for option values shared by several commands."""

from __future__ import annotations

import argparse
from typing import Any

from ..options import PredictOptions, cli_fields

__all__ = ["hw", "float_pair", "non_negative_int", "positive_seconds", "add_timeout_option", "add_predict_options",
           "options_from_args"]


def hw(text: str) -> tuple[int, int]:
    """Parse ``HxW`` (rows x columns), or a single number for a square size."""
    parts = text.lower().replace(",", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 360x480, got {text!r}") from None
    if len(values) == 1:
        values = values * 2
    if len(values) != 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 360x480, got {text!r}")
    return values[0], values[1]


def float_pair(text: str) -> tuple[float, float]:
    parts = text.replace("-", ",").split(",")
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as 0.5,2.0, got {text!r}") from None
    if not 0 < lo <= hi:
        raise argparse.ArgumentTypeError(f"expected 0 < LOW <= HIGH, got {text!r}")
    return lo, hi


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (0 usually meaning "automatic")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0 (0: automatic), got {text!r}")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def add_timeout_option(p: argparse.ArgumentParser) -> None:
    """``--timeout``: the overall deadline of each URL download, for commands that accept URLs."""
    from ..io.download import DEFAULT_URL_TIMEOUT_S

    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_URL_TIMEOUT_S, metavar="SECONDS",
                   help="give up on a URL that has not downloaded in this many seconds "
                        f"(default {DEFAULT_URL_TIMEOUT_S:g})")


_TYPES: dict[str, Any] = {"size": hw, "int": int, "float": float, "classes": str}


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def add_predict_options(p: argparse.ArgumentParser) -> None:
    """One flag per :class:`~pixelwise.options.PredictOptions` field (name, default and help from the record)."""
    for _, meta, default in cli_fields():
        if meta["kind"] == "switch":
            p.add_argument(meta["flag"], action="store_true", help=meta["help"])
        else:
            shown = f" (default {default})" if default is not None else ""
            p.add_argument(meta["flag"], type=_TYPES[meta["kind"]], default=default, metavar=meta["metavar"],
                           help=meta["help"] + shown)


def options_from_args(args: argparse.Namespace, confidence: bool = False) -> PredictOptions:
    """The validated record of the prediction flags (raises OptionError naming the flag, before any model loads)."""
    values: dict[str, Any] = {}
    for name, meta, _ in cli_fields():
        value = getattr(args, _dest(meta["flag"]))
        if meta["kind"] == "classes" and value is not None:
            value = [c.strip() for c in value.split(",") if c.strip()] or None
        values[name] = value
    return PredictOptions(confidence=confidence, **values)
