"""Panoptic options on the command line: --things MODEL, --things-map, --things-score (a semantic
model's stuff plus an instance model's things) and predict's --panoptic output (COCO panoptic
PNG + JSON and an overlay)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..result import Result

__all__ = ["add_things_options", "things_kwargs", "add_panoptic_output", "write_panoptic"]


def add_things_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--things", default=None, metavar="MODEL",
                   help="an instance model (YOLO-seg .onnx) whose objects are merged over --model's class map "
                        "(panoptic: stuff from --model, things from MODEL)")
    p.add_argument("--things-map", default=None, metavar="THING=CLASS,...|FILE",
                   help="things-model class -> --model class, e.g. person=pedestrian,car=car, or a .json/.yaml "
                        "file; classes not named map to the class of the same name")
    p.add_argument("--things-score", type=float, default=0.5, metavar="P",
                   help="objects scoring below this leave their pixels to --model's class map (default 0.5)")


def things_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The Segmenter keywords of --things/--things-map/--things-score (none if the command lacks them)."""
    if getattr(args, "things", None) is None:
        if getattr(args, "things_map", None) is not None:
            from ..errors import OptionError

            raise OptionError("--things-map needs --things MODEL (the instance model whose classes it maps)")
        return {}
    if not 0.0 <= args.things_score <= 1.0:
        from ..errors import OptionError

        raise OptionError(f"--things-score must be between 0 and 1, got {args.things_score}")
    return {"things": args.things, "things_map": args.things_map, "things_score": args.things_score}


def add_panoptic_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--panoptic", action="store_true",
                   help="also write <name>_panoptic.png + <name>_panoptic.json (COCO panoptic: id = R + 256 G + "
                        "256^2 B) and <name>_panoptic_overlay.png")


def write_panoptic(result: Result, out: Path, stem: str, alpha: float) -> list[Path]:
    """The COCO panoptic PNG + JSON and the panoptic overlay of one Result."""
    from ..data.panoptic_format import write_coco_panoptic
    from ..io.image import write_image
    from ..vis.panoptic import draw_panoptic

    written = write_coco_panoptic(out, stem, result)
    written.append(write_image(out / f"{stem}_panoptic_overlay.png", draw_panoptic(result, alpha=alpha)))
    return written
