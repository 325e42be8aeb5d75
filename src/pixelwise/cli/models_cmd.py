"""`pixelwise models`: the models pixelwise knows, with classes and input size."""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list known models (or describe one .onnx file)")
    p.add_argument("model", nargs="?", default=None, help="describe this model name or .onnx path only")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def describe(name: str) -> dict:
    from ..engine.model import load_model
    from ..registry import resolve_model

    session, spec = load_model(resolve_model(name))
    return {"name": name, "adapter": spec.adapter, "input_hw": list(spec.input_hw), "dynamic": spec.dynamic,
            "classes": list(spec.classes), "things": list(spec.things), "scores": spec.scores,
            "file": session.source}


def run(args: argparse.Namespace) -> int:
    from ..errors import PixelwiseError
    from ..registry import REGISTRY

    names = [args.model] if args.model else list(REGISTRY)
    rows = []
    for name in names:
        try:
            rows.append(describe(name))
        except PixelwiseError as exc:
            if args.model:
                raise
            rows.append({"name": name, "error": str(exc)})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        if "error" in r:
            print(f"{r['name']}: unavailable ({r['error']})")
            continue
        h, w = r["input_hw"]
        miou = r["scores"].get("val_miou") if r["scores"] else None
        score = f", val mIoU {miou:.1f}" if isinstance(miou, (int, float)) else ""
        print(f"{r['name']}: {r['adapter']}, input {h}x{w}{' (dynamic)' if r['dynamic'] else ''}, "
              f"{len(r['classes'])} classes{score}")
        print(f"  classes: {', '.join(r['classes'])}")
        if r["things"]:
            print(f"  things (instances): {', '.join(r['things'])}")
    return 0
