"""`pixelwise models [NAME|FILE]`: the models pixelwise knows, or how it reads one file.

For one model it says which adapter was chosen and why: where the spec came from
(pixelwise's own metadata, a sidecar, Ultralytics' metadata or the output signature),
the task and output layout, and which metadata keys the file carries. A file that fits no
adapter is an error (exit 2) that lists the shapes seen and what pixelwise accepts.
``--recheck`` measures one model's ``--backend auto`` choice on this machine again.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "run", "describe", "recheck", "headline_score", "score_lines"]

PERSON_NAMES = ("person", "pedestrian")
MAIN_SCORES = ("val_miou", "val_pixel_accuracy", "val_iou", "val_images", "measured_with")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list known models (or describe one .onnx file)")
    p.add_argument("model", nargs="?", default=None, help="describe this model name or .onnx path only")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--recheck", action="store_true",
                   help="measure the model's --backend auto choice on this machine again now (run it on an "
                        "otherwise idle machine; the new choice replaces the cached one)")
    p.set_defaults(run=run)


def recheck(name: str) -> None:
    """Forget the cached ``--backend auto`` choice for ``name`` on this machine and measure it again."""
    from ..engine.auto import forget
    from ..registry import cache_dir, resolve_model
    from ..segmenter import Segmenter

    path = resolve_model(name)
    forget(path, cache_dir())
    Segmenter(path)  # the self-check runs on load and caches its choice


def describe(name: str) -> dict:
    from ..engine.model import resolve_spec
    from ..engine.session import open_session
    from ..errors import ModelError
    from ..registry import resolve_model

    path = resolve_model(name)
    if path.suffix.lower() not in (".onnx", ".ort"):
        raise ModelError(f"{path}: expected an .onnx model file")
    session = open_session(path)
    spec, choice = resolve_spec(session, path)
    return {"name": name, "adapter": spec.adapter, "kind": choice.kind, "layout": choice.layout,
            "layout_note": choice.layout_note, "spec_source": choice.source,
            "metadata_keys": list(choice.metadata_keys),
            "input_hw": list(spec.input_hw), "dynamic": spec.dynamic, "classes": list(spec.classes),
            "things": list(spec.things), "scores": spec.scores, "file": session.source,
            "inputs": [i.describe() for i in session.inputs], "outputs": [o.describe() for o in session.outputs],
            "backend": _backend(path)}


def _backend(path) -> dict | None:
    """The cached ``--backend auto`` choice on this machine (None until a first use measured it)."""
    from dataclasses import asdict

    from ..engine.auto import lookup
    from ..registry import cache_dir

    choice = lookup(path, cache_dir())
    return None if choice is None else {**asdict(choice), "summary": choice.summary()}


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def headline_score(scores: dict | None, classes: list[str]) -> str:
    """The one score of the listing: a two-class person model's person IoU (its mIoU would average
    in the easy background), else the val mIoU; "" when not measured."""
    scores = scores or {}
    iou = scores.get("val_iou") if isinstance(scores.get("val_iou"), dict) else {}
    person = next((n for n in PERSON_NAMES if n in classes), None)
    if len(classes) == 2 and person and _number(iou.get(person)):
        return f", val {person} IoU {iou[person]:.1f}"
    return f", val mIoU {scores['val_miou']:.1f}" if _number(scores.get("val_miou")) else ""


def _flat(scores: dict, prefix: str = "") -> list[tuple[str, float]]:
    """Numeric scores beyond the main ones, nested keys joined with dots (per-source IoU, speed...)."""
    out: list[tuple[str, float]] = []
    for key, value in scores.items():
        name = f"{prefix}{key}"
        if _number(value):
            out.append((name, value))
        elif isinstance(value, dict):
            out += _flat(value, f"{name}.")
    return out


def score_lines(scores: dict | None, classes: list[str], detail: bool) -> list[str]:
    """The measured scores of a spec as a few lines (every class's IoU only with ``detail``)."""
    scores = scores or {}
    iou = scores.get("val_iou") if isinstance(scores.get("val_iou"), dict) else {}
    main = []
    if _number(scores.get("val_miou")):
        main.append(f"val mIoU {scores['val_miou']:.1f}")
    main += [f"{n} IoU {iou[n]:.1f}" for n in PERSON_NAMES if n in classes and _number(iou.get(n))]
    if _number(scores.get("val_pixel_accuracy")):
        main.append(f"pixel accuracy {scores['val_pixel_accuracy']:.1f}%")
    if _number(scores.get("val_images")):
        main.append(f"on {scores['val_images']} val images")
    extra = _flat({k: v for k, v in scores.items() if k not in MAIN_SCORES})
    if not main and not extra:
        return ["  scores: not measured"]
    lines = [f"  scores: {', '.join(main + [f'{k} {v:g}' for k, v in extra])}"]
    if detail and iou:
        per_class = [f"{n} {iou[n]:.1f}" for n in classes if _number(iou.get(n))]
        lines.append(f"  val IoU per class: {', '.join(per_class)}")
    return lines


def _print(r: dict, detail: bool) -> None:
    h, w = r["input_hw"]
    print(f"{r['name']}: {r['adapter']}, input {h}x{w}{' (dynamic)' if r['dynamic'] else ''}, "
          f"{len(r['classes'])} classes{headline_score(r['scores'], r['classes'])}")
    print(f"  classes: {', '.join(r['classes'])}")
    for line in score_lines(r["scores"], r["classes"], detail):
        print(line)
    if r["things"]:
        print(f"  things (instances): {', '.join(r['things'])}")
    backend = r.get("backend")
    print(f"  backend (auto): {backend['summary'] if backend else 'not measured yet (on first use)'}")
    if not detail:
        return
    print(f"  file: {r['file']}")
    print(f"  adapter {r['adapter']} ({r['kind']} results), from {r['spec_source']}")
    print(f"  layout: {r['layout_note']}")
    print(f"  metadata keys found: {', '.join(r['metadata_keys']) or 'none'}")
    print(f"  inputs: {'; '.join(r['inputs'])}")
    print(f"  outputs: {'; '.join(r['outputs'])}")


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError, PixelwiseError
    from ..registry import REGISTRY

    if args.recheck:
        if not args.model:
            raise InputError("--recheck needs a model: pixelwise models NAME|FILE --recheck")
        recheck(args.model)
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
        _print(r, detail=bool(args.model))
    return 0
