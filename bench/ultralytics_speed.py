"""pixelwise vs Ultralytics end to end on the same YOLO-seg ONNX files and images, in one run.

For YOLO26n-seg (classic head), YOLO26n-seg end-to-end (``../shared/models/yolo26``) and
YOLO11n-seg (``../shared/models/yolo``, 320 and 640), on CamVid val images (360x480), median
ms per image, image already decoded in memory -> result with full-resolution masks:

- Ultralytics ``YOLO(onnx, task="segment").predict(bgr, imgsz=S, conf=0.25, iou=0.7,
  retina_masks=True)`` on ONNX Runtime (its path for an ``.onnx`` file);
- Ultralytics on OpenVINO, its CPU advice. Ultralytics exports OpenVINO only from a ``.pt``
  (``export`` on an ONNX file is refused; the message is printed), so the same ONNX file is
  converted here with OpenVINO itself (``convert_model`` + ``save_model``, FP32 weights as
  Ultralytics' default export, its ``metadata.yaml`` beside) and handed to ``YOLO(dir)``:
  Ultralytics' own OpenVINO backend (LATENCY hint, the CPU plugin's default precision);
- pixelwise ``Segmenter(model=file, backend="auto")`` (its choice is shown) and, for
  reference, ``backend="onnxruntime", precision="fp32"``; on a CPU whose OpenVINO plugin offers
  bf16 (where Ultralytics' OpenVINO path runs bf16 by default), also ``backend="openvino",
  precision="bf16"``, the same precision as Ultralytics' OpenVINO path. Detections are matched
  (same class, box IoU >= 0.99) against Ultralytics on ONNX Runtime FP32, for each side.

Ultralytics runs in its own venv (``--ultra-python``; AGPL and heavy, never a pixelwise
dependency), in a child process of this run; pixelwise runs in this process (no torch
loaded). Both use ``--threads`` intra-op threads: the child sets OMP_NUM_THREADS and
torch's threads (``import ultralytics`` would set OMP_NUM_THREADS=1), an ONNX Runtime
session with that many intra-op threads in place of Ultralytics' default one (same file,
same provider), and OpenVINO's INFERENCE_NUM_THREADS. Ratios are pixelwise auto / each
Ultralytics path, measured in the same run; the target is <= 0.6.

    .venv/bin/python bench/ultralytics_speed.py [--runs 20] [--images 5] [--threads 2]
        [--sizes 320 640] [--repeats 3] [--ultra-python /work/ultra-venv/bin/python]

pixelwise's paths are timed in interleaved rounds; Ultralytics runs in another process, so the two
sides are measured ``--repeats`` times in turn and each time is the median over the repeats (the
note under the table gives auto / Ultralytics' best of each repeat: their spread is the drift).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import cpu_line, interleaved_ms, median_ms  # bench/timing.py (stdlib only: both venvs import it)

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VAL = SHARED / "datasets" / "camvid" / "val"
CONF, IOU = 0.25, 0.7


def models(sizes: list[int]) -> list[tuple[str, Path, int]]:
    yolo26 = [(f"YOLO26n-seg {s}", SHARED / "models" / "yolo26" / f"yolo26n-seg-camvid-{s}.onnx", s)
              for s in sizes if s == 320]
    e2e = [(f"YOLO26n-seg end-to-end {s}", SHARED / "models" / "yolo26" / f"yolo26n-seg-e2e-camvid-{s}.onnx", s)
           for s in sizes if s == 320]
    yolo11 = [(f"YOLO11n-seg {s}", SHARED / "models" / "yolo" / f"yolo11n-seg-camvid-{s}.onnx", s) for s in sizes]
    return [*yolo26, *e2e, *yolo11]


def image_paths(count: int) -> list[Path]:
    found = sorted(VAL.glob("*.png")) if VAL.is_dir() else []
    return found[:: max(1, len(found) // max(count, 1))][:count]


# -- the Ultralytics side (runs in the Ultralytics venv; imports no pixelwise) ---------------
def _ultra_timed(ul, images: list, size: int, runs: int, threads: int) -> tuple[float, list]:
    """(median ms per image, [(boxes, class ids)] per image) of ``ul.predict``."""
    import torch

    kw = dict(imgsz=size, conf=CONF, iou=IOU, retina_masks=True, verbose=False)
    ul.predict(images[0], **kw)
    torch.set_num_threads(threads)  # Ultralytics' first predict lowers it
    cycle = itertools.cycle(images)
    ms = median_ms(lambda: ul.predict(next(cycle), **kw), runs, warmup=3)
    found = [ul.predict(im, **kw)[0].boxes for im in images]
    return ms, [(b.xyxy.numpy().tolist(), b.cls.numpy().astype(int).tolist()) for b in found]


def _ultra_onnx(onnx: Path, images: list, size: int, runs: int, threads: int) -> tuple:
    import onnxruntime as ort
    from ultralytics import YOLO

    ul = YOLO(str(onnx), task="segment")
    ul.predict(images[0], imgsz=size, verbose=False)  # sets up the predictor and its AutoBackend
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    ul.predictor.model.backend.session = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])
    return (*_ultra_timed(ul, images, size, runs, threads), dict(ul.predictor.model.metadata))


def _export_refusal(onnx: Path) -> str:
    from ultralytics import YOLO

    try:
        YOLO(str(onnx), task="segment").export(format="openvino")
    except Exception as exc:  # what a user trying it sees
        text = " ".join(str(exc).split()).replace(str(onnx), onnx.name)
        return f"refused, {type(exc).__name__}: {text.split('. ')[0][:200]}"
    return "accepted"


def _ultra_openvino(onnx: Path, metadata: dict, images: list, size: int, runs: int, threads: int,
                    tmp: Path) -> tuple:
    import openvino as ov
    from ultralytics import YOLO
    from ultralytics.utils import YAML

    folder = tmp / f"{onnx.stem}_openvino_model"
    folder.mkdir()
    xml = folder / f"{onnx.stem}.xml"
    ov.save_model(ov.convert_model(str(onnx)), str(xml), compress_to_fp16=False)
    YAML.save(folder / "metadata.yaml", metadata)
    ul = YOLO(str(folder), task="segment")
    ul.predict(images[0], imgsz=size, verbose=False)
    backend = ul.predictor.model.backend
    backend.ov_compiled_model = backend.compile_model(
        ov.Core().read_model(str(xml)), config={"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads})
    precision = backend.ov_compiled_model.get_property("INFERENCE_PRECISION_HINT").get_type_name()
    return (*_ultra_timed(ul, images, size, runs, threads), precision)


def ultralytics_side(job: dict) -> None:
    """Child process in the Ultralytics venv: prints one JSON line."""
    import tempfile

    import cv2
    import ultralytics

    onnx, size, runs, threads = Path(job["onnx"]), job["imgsz"], job["runs"], job["threads"]
    images = [cv2.imread(p) for p in job["images"]]
    out: dict = {"version": ultralytics.__version__, "export": _export_refusal(onnx)}
    out["ort_ms"], out["ort_found"], metadata = _ultra_onnx(onnx, images, size, runs, threads)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out["ov_ms"], out["ov_found"], out["ov_precision"] = _ultra_openvino(
                onnx, metadata, images, size, runs, threads, Path(tmp))
    except Exception as exc:  # openvino missing or the IR refused: the ONNX column still counts
        node = next((line for line in str(exc).splitlines() if "While validating node" in line), "")
        out["ov_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:110]} {node[:150]}".strip()
    print(json.dumps(out))


# -- the pixelwise side (this process) ----------------------------------------------------
def pixelwise_times(onnx: Path, images: list, runs: int, threads: int, cache: Path) -> dict:
    import pixelwise as pw
    from pixelwise.engine.backends import installed_backends
    from pixelwise.errors import PixelwiseError

    out = {}
    paths = [("auto", {"backend": "auto"}), ("ort", {"backend": "onnxruntime", "precision": "fp32"})]
    if "openvino" in installed_backends():
        from pixelwise.engine.backends.openvino import cpu_precisions

        if "bf16" in cpu_precisions():  # the precision Ultralytics' OpenVINO path runs at on such a CPU
            paths.append(("bf16", {"backend": "openvino", "precision": "bf16"}))
    segs = {}
    for key, kw in paths:
        try:
            segs[key] = pw.Segmenter(onnx, threads=threads, cache_dir=cache, conf=CONF, iou=IOU, **kw)
        except PixelwiseError as exc:  # e.g. OpenVINO cannot compile the YOLO26 end-to-end head
            out[f"{key}_error"] = str(exc)[:160]
    calls = {key: (lambda s=seg, c=itertools.cycle(images): s.predict_array(next(c))) for key, seg in segs.items()}
    out.update({f"{key}_ms": ms for key, ms in interleaved_ms(calls, runs, warmup=3).items()})
    if "auto" in segs:
        out["choice"] = segs["auto"].backend_choice.label
    for key in ("auto", "bf16"):
        if key in segs:
            out[f"{key}_found"] = [(r.instances.boxes_xyxy, r.instances.class_ids)
                                   for r in map(segs[key].predict_array, images)]
    return out


def repeated(onnx: Path, size: int, paths: list[Path], images: list, args, cache: Path,
             ultra: str | None) -> tuple[dict, dict | None, list[float]]:
    """``--repeats`` alternating measurements of both sides (Ultralytics runs in another process, so its
    times cannot share rounds with ours): the median of each time over the repeats, the detections of the
    first, and auto / Ultralytics' best of each repeat (their spread shows how far the machine drifted)."""
    pw_runs, ul_runs, ratios = [], [], []
    for _ in range(args.repeats):
        ul = run_ultralytics(ultra, onnx, size, paths, args) if ultra else None
        ours = pixelwise_times(onnx, images, args.runs, args.threads, cache)
        pw_runs.append(ours)
        ul_runs.append(ul)
        best = _ul_best(ul or {})
        if best and "auto_ms" in ours:
            ratios.append(ours["auto_ms"] / best)
    return _median_times(pw_runs), (_median_times(ul_runs) if ultra else None), ratios


def _ul_best(ul: dict) -> float | None:
    """Ultralytics' fastest CPU path of one measurement (ONNX Runtime or OpenVINO), None if neither ran."""
    return min((t for t in (ul.get("ort_ms"), ul.get("ov_ms")) if t), default=None)


def _median_times(runs: list) -> dict:
    """The first run's record with every ``*_ms`` value replaced by its median over the runs."""
    first = dict(runs[0] or {})
    for key in [k for k in first if k.endswith("_ms")]:
        first[key] = statistics.median(r[key] for r in runs if r and key in r)
    return first


def run_ultralytics(ultra_python: str, onnx: Path, size: int, paths: list[Path], args) -> dict:
    job = {"onnx": str(onnx), "imgsz": size, "images": [str(p) for p in paths], "runs": args.runs,
           "threads": args.threads}
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "YOLO_OFFLINE": "1"}
    child = subprocess.run([ultra_python, __file__, "--ultralytics-side", json.dumps(job)], capture_output=True,
                           text=True, env=env, timeout=1800)
    if child.returncode != 0:
        return {"error": (child.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return json.loads(child.stdout.strip().splitlines()[-1])


def detections_matched(ours: list, theirs: list) -> str:
    """'ours / theirs, matched' detections over the images (matched one-to-one: same class, box IoU >= 0.99,
    as auto's agreement check)."""
    import numpy as np

    from pixelwise.engine.agreement import match_boxes

    n_ours = n_theirs = matched = 0
    for (boxes, classes), (t_boxes, t_classes) in zip(ours, theirs, strict=True):
        t_boxes = np.asarray(t_boxes, np.float32).reshape(-1, 4)
        n_ours, n_theirs = n_ours + len(boxes), n_theirs + len(t_boxes)
        matched += len(match_boxes(np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(classes, np.int64),
                                   t_boxes, np.asarray(t_classes, np.int64), min_iou=0.99))
    return f"{n_ours} / {n_theirs}, {matched}"


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def _ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}" if theirs else "-"


def row(label: str, pw_side: dict, ul: dict | None) -> tuple[str, list[str]]:
    """One table row and the notes it raises."""
    notes = []
    ul = ul or {}
    if "error" in ul:
        notes.append(f"{label}: Ultralytics failed: {ul['error']}")
    if "ov_error" in ul:
        notes.append(f"{label}: Ultralytics on OpenVINO failed: {ul['ov_error']}")
    ort, ov = ul.get("ort_ms"), ul.get("ov_ms")
    best = _ul_best(ul)
    agree = detections_matched(pw_side["auto_found"], ul["ort_found"]) if "ort_found" in ul else "-"
    ul_ov_agree = detections_matched(ul["ov_found"], ul["ort_found"]) if "ov_found" in ul else "-"
    ov_cell = f"{_ms(ov)} ({ul['ov_precision']})" if ov else "-"
    bf16 = pw_side.get("bf16_ms")
    bf16_agree = detections_matched(pw_side["bf16_found"], ul["ort_found"]) if bf16 and "ort_found" in ul else "-"
    return (f"| {label} | {_ms(ort)} | {ov_cell} | {pw_side['auto_ms']:.1f} ({pw_side['choice']}) | "
            f"{pw_side['ort_ms']:.1f} | {_ms(bf16)} | {_ratio(pw_side['auto_ms'], ort)} | "
            f"{_ratio(pw_side['auto_ms'], best)} | {_ratio(bf16, ov) if bf16 else '-'} | {agree} | {ul_ov_agree} | "
            f"{bf16_agree} |"), notes


def header(args, paths: list[Path], ultra: str | None) -> None:
    from pixelwise.engine.backends import backend_version, installed_backends

    print(f"# bench/ultralytics_speed.py  {len(paths)} CamVid val images (360x480)  runs={args.runs} (median ms "
          f"per image, decoded image in memory -> result)  conf={CONF} iou={IOU}  full-resolution masks")
    print(f"CPU: {cpu_line()}")
    print(f"threads: {args.threads} intra-op on every side (Ultralytics: OMP_NUM_THREADS, torch, ONNX Runtime "
          f"intra_op_num_threads, OpenVINO INFERENCE_NUM_THREADS; pixelwise: Segmenter(threads={args.threads}))")
    print("pixelwise: " + ", ".join(f"{b} {backend_version(b)}" for b in installed_backends()))
    if ultra is not None:
        print(f"Ultralytics ({ultra}): ONNX Runtime = YOLO(file.onnx); OpenVINO = the same file converted by "
              f"openvino.convert_model + save_model (FP32 weights) into NAME_openvino_model/ with Ultralytics' "
              f"metadata.yaml, run by YOLO(folder) (Ultralytics exports OpenVINO only from a .pt)")
    else:
        print(f"Ultralytics columns skipped: {args.ultra_python} not found (make the venv as docs/benchmarks.md "
              f"says, or pass --ultra-python)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--images", type=int, default=5, help="CamVid val images, cycled through the runs")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", type=int, nargs="+", default=[320, 640])
    ap.add_argument("--repeats", type=int, default=3,
                    help="alternating measurements of both sides per model; times are their medians")
    ap.add_argument("--ultra-python", default="/work/ultra-venv/bin/python")
    ap.add_argument("--ultralytics-side", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.ultralytics_side:
        ultralytics_side(json.loads(args.ultralytics_side))
        return 0
    return compare(args)


def compare(args) -> int:
    import tempfile

    from pixelwise.io.image import read_image

    paths = image_paths(args.images)
    if not paths:
        print(f"no CamVid val images under {VAL} (../shared beside the repo)")
        return 1
    ultra = args.ultra_python if Path(args.ultra_python).is_file() else None
    header(args, paths, ultra)
    images = [read_image(p) for p in paths]
    rows, notes, version = [], [], None
    with tempfile.TemporaryDirectory() as cache:  # auto measures its choice afresh
        for label, onnx, size in models(args.sizes):
            if not onnx.is_file():
                notes.append(f"{label}: {onnx} not found")
                continue
            ours, ul, ratios = repeated(onnx, size, paths, images, args, Path(cache), ultra)
            version = version or (ul or {}).get("version")
            line, more = row(label, ours, ul)
            if len(ratios) > 1:
                more.append(f"{label}: auto / UL best per repeat " + ", ".join(f"{r:.2f}" for r in ratios))
            print(line if rows else _table_head(version) + "\n" + line, flush=True)
            rows.append(line)
            notes += more + ([f"Ultralytics export(format='openvino') of an ONNX file: {ul['export']}"]
                             if ul and "export" in ul and not any("export(" in n for n in notes) else [])
    for note in notes:
        print(f"- {note}")
    return 0


def _table_head(version: str | None) -> str:
    ul = f"Ultralytics {version}" if version else "Ultralytics"
    return (f"| model | {ul} ONNX Runtime ms | {ul} OpenVINO ms (precision) | pixelwise auto ms (choice) | "
            f"pixelwise ORT FP32 ms | pixelwise OpenVINO bf16 ms | auto / UL ONNX | auto / UL best | "
            f"pixelwise bf16 / UL OpenVINO | detections: pixelwise auto / UL ONNX, matched | "
            f"UL OpenVINO / UL ONNX, matched | pixelwise bf16 / UL ONNX, matched |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")


if __name__ == "__main__":
    sys.exit(main())
