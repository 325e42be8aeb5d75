"""Background effects of person models on the command line: --cutout, --blur-background,
--replace-background (predict writes them beside the other outputs; stream applies them to the
frames it writes, shows and serves, with the matte smoothed over frames: --matte-smooth)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ..result import Result
    from ..vis.background import BackgroundEffect

__all__ = ["add_effect_options", "wants_effects", "write_effects", "effect_note", "add_stream_effect_options",
           "stream_effect"]

DEFAULT_BLUR_SIGMA = 15.0
DEFAULT_MATTE_SMOOTH = 0.5
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


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
    from ..errors import InputError
    from ..io.image import read_image
    from ..vis.background import parse_colour

    path = Path(value)
    if path.suffix and path.exists():
        return read_image(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise InputError(f"--replace-background: {value}: no such image file")
    try:
        return parse_colour(value)
    except InputError as exc:
        raise InputError(f"--replace-background: {exc}") from None


def add_stream_effect_options(p: argparse.ArgumentParser) -> None:
    """The effects of `pixelwise stream`: applied to the frames of --out, --show and --serve."""
    p.add_argument("--blur-background", nargs="?", type=float, const=DEFAULT_BLUR_SIGMA, default=None,
                   metavar="SIGMA", help=f"person models: the frames written/shown/served keep the person and blur "
                                         f"the rest (default sigma {DEFAULT_BLUR_SIGMA:g} px) instead of the overlay")
    p.add_argument("--replace-background", default=None, metavar="IMAGE|COLOUR",
                   help="person models: the person over an image file or a colour (#rrggbb, R,G,B, white, black, "
                        "green, blue, grey) instead of the overlay")
    p.add_argument("--matte-smooth", type=float, default=DEFAULT_MATTE_SMOOTH, metavar="W",
                   help=f"with a background effect: weight of the past matte in [0, 1), so edges do not flicker "
                        f"(default {DEFAULT_MATTE_SMOOTH:g}; 0 = none)")
    p.add_argument("--cutout", action="store_true", help=argparse.SUPPRESS)  # refused with a hint: photos only


def stream_effect(args: argparse.Namespace) -> BackgroundEffect | None:
    """The background effect asked for on `pixelwise stream`, checked before anything loads (or None)."""
    from ..errors import InputError

    if args.cutout:
        raise InputError("--cutout is for photos (pixelwise predict --cutout writes RGBA PNGs); a video has no "
                         "transparency: use --blur-background or --replace-background")
    if not 0.0 <= args.matte_smooth < 1.0:
        raise InputError(f"--matte-smooth must be in [0, 1), got {args.matte_smooth:g}")
    blur, replace = args.blur_background, args.replace_background
    if blur is None and not replace:
        return None
    if blur is not None and replace:
        raise InputError("--blur-background and --replace-background: choose one")
    if blur is not None and not blur > 0:
        raise InputError(f"--blur-background SIGMA must be > 0, got {blur:g}")
    if not (args.out or args.show or args.serve):
        raise InputError(f"{'--blur-background' if blur is not None else '--replace-background'} changes the "
                         "frames written with --out, shown with --show or served with --serve: add one of them")
    from ..vis.background import BackgroundEffect

    return BackgroundEffect(blur=blur, background=_background(replace) if replace else None,
                            smooth=args.matte_smooth)


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
