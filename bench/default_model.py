"""The default model in one run: folds, accuracy on CamVid val, latency and size, FP32 and INT8.

The leave-one-sequence-out fold scores of the model's recipe (docs/training.md) are read
from the model's own spec (``provenance.folds``, written when the recipe was chosen); val
and speed are measured here.

For each model (default, default-int8) and input size (240x320, 360x480, 720x960):
val mIoU / pixel accuracy (labels compared at their 360x480 resolution), and the median
latency of the bare ``session.run`` and of the end-to-end ``Segmenter`` call on a 360x480
frame, next to the LR-ASPP MobileNetV3-L reference (bare, 360x480) timed in the same run. The
calls of one input size are timed in interleaved rounds (bench/timing.py ``interleaved_ms``), so
a slow spell of a shared machine slows them all and their ratios hold.
Per-class IoU is printed for 360x480. Each model runs on the path ``--backend`` gives it (default
``auto``, what a user gets; the path is shown beside its name); the reference runs on ONNX Runtime FP32.
A model name with ``+flip`` (``--models default,default+flip``) runs with ``flip=True`` (the image and
its mirror image, averaged).

    python bench/default_model.py --threads 2 --runs 30
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import numpy as np
from timing import cpu_line, interleaved_ms  # bench/timing.py

import pixelwise as pw
from pixelwise.engine.session import OnnxSession, SessionConfig
from pixelwise.validate import validate

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "configs" / "camvid.yaml"
REFERENCE = REPO.parent / "shared" / "models" / "reference" / "lraspp_mobilenet_v3_large_360x480.onnx"
SIZES = ((240, 320), (360, 480), (720, 960))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--models", default="default,default-int8")
    ap.add_argument("--limit", type=int, default=None, help="val images (default: all 101)")
    ap.add_argument("--backend", default="auto", help="the Segmenter's backend (default auto: what users get)")
    args = ap.parse_args()

    names = args.models.split(",")
    frame = pw.Segmenter(_parse_model(names[0])[0]).load(REPO / "src" / "pixelwise" / "assets" / "leuvenA.jpg")[0]
    import cv2

    frame = cv2.resize(frame, (480, 360), interpolation=cv2.INTER_AREA)
    ref = OnnxSession(REFERENCE, SessionConfig(threads=args.threads)).raw if REFERENCE.is_file() else None
    ref_ms = None
    rows, per_class, paths = [], {}, {}
    for hw in SIZES:
        img = frame if hw == (360, 480) else cv2.resize(frame, (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
        blob = np.random.default_rng(0).standard_normal((1, 3, *hw)).astype(np.float32)
        calls, scores = {}, {}
        for name in names:
            base, flip = _parse_model(name)
            seg = pw.Segmenter(base, imgsz=hw, threads=args.threads, backend=args.backend, flip=flip)
            paths[name] = seg.backend_choice.label
            report = validate(seg, DATA, "val", progress=False, limit=args.limit)
            scores[name] = report.metrics
            if hw == (360, 480):
                per_class[name] = dict(zip(report.classes, report.metrics.iou))
            calls[f"{name} bare"] = partial(seg.predictor.session.run, {seg.predictor.input_name: blob})
            calls[f"{name} e2e"] = partial(seg.predict_array, img)
        if ref is not None and hw == (360, 480):
            calls["reference"] = partial(ref.run, None, {"input": np.zeros((1, 3, 360, 480), np.float32)})
        ms = interleaved_ms(calls, args.runs, warmup=5)
        ref_ms = ms.get("reference", ref_ms)
        rows += [(f"{name} ({paths[name]})", hw, scores[name].miou, scores[name].pixel_accuracy, ms[f"{name} bare"],
                  ms[f"{name} e2e"]) for name in names]
    rows.sort(key=lambda row: names.index(row[0].split(" (")[0]))
    print(f"# bench/default_model.py  threads={args.threads}  runs={args.runs}  val images={report.images}")
    print(f"machine: {cpu_line()}")
    print_folds_and_sizes(list(dict.fromkeys(_parse_model(n)[0] for n in names)))
    print("| model | input HxW | val mIoU | pixel acc | bare session.run ms | end-to-end ms | FPS (e2e) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, hw, miou, acc, bare, e2e in rows:
        print(f"| {name} | {hw[0]}x{hw[1]} | {miou:.2f} | {acc:.2f} | {bare:.2f} | {e2e:.2f} | {1000 / e2e:.0f} |")
    if ref_ms:
        print(f"| LR-ASPP MobileNetV3-L (reference, random weights) | 360x480 | - | - | {ref_ms:.2f} | - | - |")
    print("\nper-class val IoU at 360x480:")
    names = list(next(iter(per_class.values())))
    print("| class | " + " | ".join(per_class) + " |")
    print("| --- |" + " --- |" * len(per_class))
    for c in names:
        print(f"| {c} | " + " | ".join(f"{per_class[m][c]:.2f}" for m in per_class) + " |")


def _parse_model(name: str) -> tuple[str, bool]:
    """``default+flip`` -> ("default", True): the model and whether it runs with flip averaging."""
    base, plus, extra = name.partition("+")
    if plus and extra != "flip":
        raise SystemExit(f"bench/default_model.py: unknown model suffix +{extra} in {name!r} (only +flip)")
    return base, bool(plus)


def print_folds_and_sizes(names: list[str]) -> None:
    from pixelwise.registry import resolve_model

    print("| model | file MB | fold A (score on 0001TP) | fold B (score on 0006R0) | val in its training data |")
    print("| --- | --- | --- | --- | --- |")
    for name in names:
        path = resolve_model(name)
        seg = pw.Segmenter(name, threads=1)
        folds = (seg.spec.provenance or {}).get("folds") or {}
        cells = [_fold_cell(folds[k]) if k in folds else "not recorded" for k in ("a", "b")]
        seen = "yes (val flatters it)" if ((seg.spec.provenance or {}).get("train") or {}).get("train_on_val") else "no"
        print(f"| {name} | {path.stat().st_size / 1e6:.2f} | {cells[0]} | {cells[1]} | {seen} |")
    print()


def _fold_cell(fold: dict) -> str:
    """``43.52`` or ``43.52 (epoch 30 of 60)`` when the fold run was stopped mid-schedule."""
    cell = f"{fold['miou']:.2f}"
    if fold.get("epoch") and fold.get("of") and fold["epoch"] != fold["of"]:
        cell += f" (epoch {fold['epoch']} of {fold['of']})"
    return cell


if __name__ == "__main__":
    main()
