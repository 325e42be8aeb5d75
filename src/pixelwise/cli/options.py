"""Parsers for option values shared by several commands."""

from __future__ import annotations

import argparse

__all__ = ["hw", "float_pair"]


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
