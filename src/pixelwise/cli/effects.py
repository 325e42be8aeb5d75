"""Background effects of person models on the command line: --cutout, --blur-background,
--replace-background (predict writes them beside the other outputs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..result import Result

__all__ = ["add_effect_options", "wants_effects", "write_effects", "effect_note"]

DEFAULT_BLUR_SIGMA = 15.0


def add_effect_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cutout", action="store_true",
                   help="write <name>_cutout.png: RGBA, alpha = the person (soft edges)")
    p.add_argument("--blur-background", nargs="?", type=float, const=DEFAULT_BLUR_SIGMA, default=None,
                   metavar="SIGMA", help=f"write <name>_blur.png: the background blurred (default sigma "
                                         f"{DEFAULT_BLUR_SIGMA:g} px)")
    p.add_argument("--replace-background", default=None, metavar="IMAGE|COLOUR",
                   help="write <name>_composite.png: the person over an image file or a colour "
                        "(#rrggbb, R,G,B, white, black, green, blue, grey)")


def wants_effects(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "cutout", False) or getattr(args, "blur_background", None) is not None
                or getattr(args, "replace_background", None))


def _background(value: str) -> np.ndarray | tuple[int, int, int]:
    from ..io.image import read_image
    from ..vis.background import parse_colour

    path = Path(value)
    return read_image(path) if path.suffix and path.exists() else parse_colour(value)


def write_effects(result: Result, out: Path, stem: str, args: argparse.Namespace) -> list[Path]:
    """The requested effect images of one Result; returns the files written."""
    from ..io.image import write_image
    from ..vis import background as bg

    written = []
    if args.blur_background is not None and args.blur_background <= 0:
        from ..errors import InputError

        raise InputError(f"--blur-background SIGMA must be > 0, got {args.blur_background:g}")
    alpha = bg.alpha_matte(result)
    if args.cutout:
        written.append(write_image(out / f"{stem}_cutout.png", result.cutout()))
    if args.blur_background is not None:
        written.append(write_image(out / f"{stem}_blur.png", bg.blur_background(result, args.blur_background,
                                                                                alpha=alpha)))
    if args.replace_background:
        written.append(write_image(out / f"{stem}_composite.png",
                                   bg.composite(result, _background(args.replace_background), alpha=alpha)))
    return written


def effect_note(result: Result) -> str | None:
    """A line for the summary when the photo has no person (the cut-out is fully transparent)."""
    import numpy as np

    from ..vis.background import foreground_ids

    if not np.isin(result.semantic, foreground_ids(result)).any():
        return "  no person found: the cut-out is fully transparent"
    return None
