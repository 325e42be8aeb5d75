"""The training loop: epochs of augmented crops, EMA weights, validation mIoU, checkpoints.

Outputs in ``TrainConfig.out``:

    last.pt            resumable state (model, EMA, optimiser, epoch, log, stretches), every epoch
    best.safetensors   EMA weights with the best validation mIoU (+ net config, metrics)
    last.safetensors   EMA weights of the latest epoch
    log.csv, log.png   one row per epoch: loss, learning rate, val mIoU, per-class IoU
    summary.json       the config, best epoch and its per-class IoU, and the run's stretches

A run may be trained in several stretches (``time_limit`` ends one after the last epoch expected
to end in time, validated and saved; ``resume`` starts the next, on this machine or another):
each stretch's epochs, minutes, CPU and precision are recorded in last.pt, summary.json, the
weights' metadata and so in an exported model's provenance.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import sys
import time
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from ..data.config import DatasetConfig, load_dataset_config
from ..errors import InputError, PixelwiseRuntimeError
from ..eval.confusion import ConfusionMatrix
from ..io.image import atomic_write_bytes
from ..machine import cpu_info
from ..spec import IMAGENET_MEAN, IMAGENET_STD
from .augment import AugmentConfig, rare_classes
from .checkpoint import build_from_weights, load_state, save_state, save_weights
from .choices import (
    DISTILL_MODES,
    DISTILL_PIXELS,
    LOSSES,
    PRECISIONS,
    distils_classes,
    distils_features,
    distils_person,
)
from .dataset import CropTargetsFn, SplitArrays, batches, load_split
from .losses import class_weights, distillation_loss, segmentation_loss
from .nets.pwnet import PWNet, PWNetConfig

__all__ = ["TrainConfig", "train"]


@dataclass(frozen=True)
class TrainConfig:
    data: Path
    out: Path
    epochs: int = 300
    batch: int = 16
    crop_hw: tuple[int, int] = (320, 320)
    scale_range: tuple[float, float] = (0.5, 2.0)
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 3
    seed: int = 0
    threads: int = 2
    val_every: int = 1
    ema_decay: float = 0.999
    aux_weight: float = 0.4
    augment: str = "basic"  # photometric level: "basic", "strong" or "mixed" (train/augment.py)
    paste: float = 0.0  # copy-paste: the share of crops given the rarer classes' pixels of another crop
    teacher: Path | None = None  # TFLite VOC teacher (train/teacher.py)
    distill: str = "person"  # "person": soft person targets (two-class data); "features": its features, "classes":
    # its 21-class distribution (any data); or several joined by "+" (train/choices.py)
    distill_weight: float = 0.5  # weight of the teacher term beside the labels' cross-entropy
    distill_pixels: str = "all"  # "all" or "agree": where the person teacher's term applies (train/losses.py)
    loss: str = "ce"  # "ce", "ohem" or "ce+lovasz" (train/losses.py)
    precision: str = "fp32"  # "fp32" or "bf16": CPU autocast of the forward pass (train/choices.py)
    init: Path | None = None  # --from: weights to start from (fine-tuning / later stage)
    resume: bool = False
    time_limit: float | None = None  # minutes for this stretch: stop after the last epoch expected to end within
    # them (--resume continues); not part of the recipe
    train_on_val: bool = False
    skip_bad: bool = False  # skip (and list) bad annotation records instead of stopping
    max_batches: int | None = None  # per epoch; for tests and quick checks
    net: dict[str, Any] = field(default_factory=dict)
    command: str = ""

    def __post_init__(self) -> None:
        if self.distill not in DISTILL_MODES:
            raise InputError(f"distill must be one of {', '.join(DISTILL_MODES)}, got {self.distill!r}")
        if self.distill_pixels not in DISTILL_PIXELS:
            raise InputError(f"distill_pixels must be one of {', '.join(DISTILL_PIXELS)}, got {self.distill_pixels!r}")
        if not 0.0 <= self.paste <= 1.0:
            raise InputError(f"paste is the share of crops that get pasted pixels, between 0 and 1, got {self.paste}")
        if self.precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.loss not in LOSSES:
            raise InputError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise InputError(f"time_limit is minutes for this stretch of training, above 0, got {self.time_limit}")
        if self.distill != "person" and self.teacher is None:
            raise InputError(f"--distill {self.distill} needs --teacher TEACHER.tflite")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}


def bf16_native() -> bool:
    """Whether this CPU computes bfloat16 in hardware (AMX or AVX512-BF16), where autocast pays."""
    return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


def _lr_at(cfg: TrainConfig, step: int, total: int, per_epoch: int) -> float:
    warm = cfg.warmup_epochs * per_epoch
    if step < warm:
        return cfg.lr * (step + 1) / warm
    return cfg.lr * (1 - (step - warm) / max(total - warm, 1)) ** 0.9


def _ema_fn(decay: float):
    """EMA whose decay ramps up, (1 + t) / (10 + t) capped at ``decay``: early averages are
    not dominated by the random initial weights (and their BatchNorm statistics)."""

    def avg(averaged: torch.Tensor, current: torch.Tensor, n: torch.Tensor) -> torch.Tensor:
        d = min(decay, (1.0 + float(n)) / (10.0 + float(n)))
        return averaged * d + current * (1.0 - d)

    return avg


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: SplitArrays, num_classes: int, ignore: int | None) -> ConfusionMatrix:
    """Full-resolution confusion matrix of ``model`` on a split."""
    model.eval()
    cm = ConfusionMatrix(num_classes, ignore)
    for image, label in zip(data.images, data.labels):
        logits = model(_to_tensor(image[None]))
        logits = F.interpolate(logits, size=label.shape, mode="bilinear", align_corners=False)
        cm.update(label, logits.argmax(1)[0].numpy())
    return cm


def _write_log(out: Path, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(out / "log.csv", buf.getvalue().encode())
    try:
        from .plots import plot_log

        plot_log(rows, out / "log.png")
    except ImportError:  # matplotlib is optional
        pass


def init_lineage(path: Path | str | None, meta: dict[str, Any]) -> dict[str, Any] | None:
    """What a fine-tuned model started from: the weights' own training command, epoch,
    val scores and, recursively, what those started from (a model's whole recipe)."""
    if path is None:
        return None
    train_cfg = meta.get("train") or {}
    return {"weights": str(path), "command": train_cfg.get("command"), "seed": train_cfg.get("seed"),
            "epoch": meta.get("epoch"), "val_miou": (meta.get("val") or {}).get("miou"),
            "stretches": meta.get("stretches"), "init": meta.get("init")}


def teacher_targets(cfg: TrainConfig, ds: DatasetConfig, data: SplitArrays) -> tuple[SplitArrays, int]:
    """``data`` with the teacher's person probabilities (cached in the run folder), and the person id."""
    from .augment import SOFT_PAD
    from .teacher import Teacher

    if ds.num_classes != 2 or "person" not in ds.classes:
        raise InputError(f"{ds.source}: --teacher distils a person model: the dataset needs two classes, one "
                         f"named 'person' (it has {', '.join(ds.classes)}); --distill features, classes or "
                         "features+classes works on any dataset")
    cache = cfg.out / "teacher_targets.npz"
    if cache.is_file():
        with np.load(cache) as stored:
            if list(stored["names"]) == data.names:
                soft = [stored[f"t{i}"] for i in range(len(data))]
                return SplitArrays(data.images, data.labels, data.names, soft), ds.classes.index("person")
    teacher = Teacher(cfg.teacher, threads=cfg.threads)
    soft = [np.minimum(np.round(teacher(img) * 254), SOFT_PAD - 1).astype(np.uint8) for img in data.images]
    buf = io.BytesIO()
    np.savez_compressed(buf, names=np.array(data.names), **{f"t{i}": t for i, t in enumerate(soft)})
    atomic_write_bytes(cache, buf.getvalue())
    return SplitArrays(data.images, data.labels, data.names, soft), ds.classes.index("person")


# the training-only heads of --distill features / classes, in the order the batches carry the teacher's maps
# (Teacher.crop_targets), and the key of each one's state in last.pt ("distiller" as runs before classes had it)
HEAD_STATE_KEYS = {"features": "distiller", "classes": "class_distiller"}


def _teacher_heads(
    cfg: TrainConfig, model: PWNet
) -> tuple[dict[str, torch.nn.Module], CropTargetsFn | None, dict[str, torch.Tensor]]:
    """With ``--distill features`` and/or ``classes``: their training-only heads, the teacher's per-crop
    function (run in the batch thread) and the dict the student's features land in during its forward
    pass: its 1/16 features (``features``) and the features its own head reads (``classes``)."""
    wanted = {"features": distils_features(cfg.distill), "classes": distils_classes(cfg.distill)}
    if cfg.teacher is None or not any(wanted.values()):
        return {}, None, {}
    from .distill import ClassDistiller, FeatureDistiller
    from .teacher import FEATURE_CHANNELS, VOC_CLASSES, Teacher

    teacher = Teacher(cfg.teacher, threads=1, features=wanted["features"])
    seen: dict[str, torch.Tensor] = {}
    heads: dict[str, torch.nn.Module] = {}  # in HEAD_STATE_KEYS order, as the teacher's maps come

    def keep_features(_module: torch.nn.Module, _inputs: Any, output: torch.Tensor) -> None:
        seen["features"] = output

    def keep_head_input(_module: torch.nn.Module, inputs: Any, _output: torch.Tensor) -> None:
        seen["classes"] = inputs[0]

    # the model is final here (a --from head already replaced) and the EMA copy made before, without the hooks
    if wanted["features"]:
        model.stage3.register_forward_hook(keep_features)
        heads["features"] = FeatureDistiller(model.config.c3, FEATURE_CHANNELS)
    if wanted["classes"]:
        model.head.register_forward_hook(keep_head_input)
        heads["classes"] = ClassDistiller(model.head.in_channels, VOC_CLASSES)
    assert list(heads) == [term for term in HEAD_STATE_KEYS if wanted[term]]

    def crop_targets(crop: np.ndarray) -> tuple[np.ndarray, ...]:
        return teacher.crop_targets(crop, features=wanted["features"], classes=wanted["classes"])

    return heads, crop_targets, seen


def _stretch(first_epoch: int, precision: str) -> dict[str, Any]:
    """The record of one stretch of a run (the first, or one ``--resume``): where it ran, how long."""
    cpu = cpu_info()
    return {"first_epoch": first_epoch, "last_epoch": first_epoch - 1, "minutes": 0.0, "cpu": cpu["model"],
            "simd": cpu["simd"], "precision": precision}


def _resume(cfg: TrainConfig, model: PWNet, ema: torch.nn.Module, opt: torch.optim.Optimizer,
            heads: dict[str, torch.nn.Module]) -> tuple[int, float, list[dict[str, Any]], float, list[dict[str, Any]]]:
    """Load ``last.pt`` into the parts; returns (epoch, best, rows, elapsed, stretches)."""
    path = cfg.out / "last.pt"
    state = load_state(path)
    saved = state.get("config") or {}
    # a resumed run keeps its recipe
    for key, default in (("augment", "basic"), ("paste", 0.0), ("loss", "ce"), ("distill", "person"),
                         ("distill_pixels", "all")):
        if saved and saved.get(key, default) != getattr(cfg, key):
            flag = "--" + key.replace("_", "-")
            raise InputError(f"{path}: trained with {flag} {saved.get(key, default)}, not {getattr(cfg, key)}; "
                             f"resume with the same {flag} or start a new --out")
    was = {term for term, key in HEAD_STATE_KEYS.items() if key in state}
    if was != set(heads):
        def heads_of(terms: set[str]) -> str:
            return "the teacher's " + " and ".join(sorted(terms)) if terms else "no teacher head"

        raise InputError(f"{path}: trained with {heads_of(was)}, not {heads_of(set(heads))}; resume with the same "
                         "--teacher/--distill or start a new --out")
    if {k: v.shape for k, v in state["model"].items()} != {k: v.shape for k, v in model.state_dict().items()}:
        raise InputError(f"{path}: trained with another network; resume with the same --net (and --from) or "
                         "start a new --out")
    model.load_state_dict(state["model"])
    ema.load_state_dict(state["ema"])
    opt.load_state_dict(state["optimizer"])
    for term, head in heads.items():
        head.load_state_dict(state[HEAD_STATE_KEYS[term]])
    stretches = state.get("stretches") or [  # a checkpoint from before stretches were recorded
        {"first_epoch": 1, "last_epoch": state["epoch"], "minutes": round(state["elapsed"] / 60, 1), "cpu": None,
         "simd": None, "precision": saved.get("precision", "fp32")}]
    return state["epoch"], state["best"], state["rows"], state["elapsed"], stretches


def _validates(cfg: TrainConfig, epoch: int) -> bool:
    """Whether ``epoch`` (0-based) ends with validation: every ``val_every`` epochs and the last."""
    return (epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs


def _out_of_time(cfg: TrainConfig, epoch: int, seconds: float, train_s: float, val_s: float) -> bool:
    """Whether this stretch stops after ``epoch``, ``seconds`` into it: when what is still due (this
    epoch's validation, then the next epoch and its own), each part as long as the longest of its kind
    so far in this stretch, would end after ``time_limit``. Never after the run's last epoch."""
    if cfg.time_limit is None or epoch + 1 >= cfg.epochs:
        return False
    ahead = val_s * _validates(cfg, epoch) + train_s + val_s * _validates(cfg, epoch + 1)
    return seconds + ahead > cfg.time_limit * 60


def _build_model(cfg: TrainConfig, ds: DatasetConfig) -> tuple[PWNet, dict[str, Any]]:
    if cfg.init is not None:
        model, meta = build_from_weights(Path(cfg.init), ds.num_classes)
        return _grown(model, cfg.net, Path(cfg.init)), meta
    net = PWNetConfig.from_dict({**cfg.net, "num_classes": ds.num_classes})
    return PWNet(net), {}


def _grown(model: PWNet, net: dict[str, Any], source: Path) -> PWNet:
    """With --from the weights decide the network; --net may only add 1/4-resolution detail blocks."""
    have = model.config.to_dict()
    differ = sorted(k for k, v in net.items() if k != "blocks1" and have.get(k) != v)
    if differ:
        raise InputError(f"{source}: its network differs from the one --net asks for ({', '.join(differ)}); "
                         "with --from, --net can only add detail blocks (--net detail)")
    extra = net.get("blocks1", have["blocks1"]) - have["blocks1"]
    if extra < 0:
        raise InputError(f"{source}: it has {have['blocks1']} detail blocks, more than --net asks for")
    if extra:
        model.add_detail_blocks(extra)
    return model


def train(cfg: TrainConfig, progress: bool = True) -> dict[str, Any]:
    """Train a PWNet on ``cfg.data``; returns the summary (also written to summary.json)."""
    from tqdm import tqdm

    started = time.perf_counter()  # this stretch's clock (--time-limit)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    ds = load_dataset_config(cfg.data)
    if ds.train is None or ds.val is None:
        raise InputError(f"{ds.source}: training needs both 'train' and 'val' splits")
    ignore = ds.ignore_index if ds.ignore_index is not None else 255
    train_data, val_data = load_split(ds, "train", cfg.skip_bad), load_split(ds, "val", cfg.skip_bad)
    if cfg.train_on_val:
        train_data = SplitArrays(
            train_data.images + val_data.images, train_data.labels + val_data.labels, train_data.names + val_data.names
        )
    counts = train_data.label_counts(ds.num_classes)
    weight = torch.from_numpy(class_weights(counts))
    pasted = rare_classes(counts) if cfg.paste else ()
    if pasted and progress:
        print(f"pixelwise: --paste copies {', '.join(ds.classes[c] for c in pasted)}", file=sys.stderr)
    if cfg.precision == "bf16" and progress and not bf16_native():
        print("pixelwise: this CPU has neither AMX nor AVX512-BF16: --precision bf16 will likely train slower "
              "than fp32", file=sys.stderr)
    cfg.out.mkdir(parents=True, exist_ok=True)
    model, init_meta = _build_model(cfg, ds)
    positive = -1
    if cfg.teacher is not None and distils_person(cfg.distill):
        train_data, positive = teacher_targets(cfg, ds, train_data)
    model = model.to(memory_format=torch.channels_last)
    ema = torch.optim.swa_utils.AveragedModel(model, avg_fn=_ema_fn(cfg.ema_decay), use_buffers=True)
    heads, teacher_maps, seen = _teacher_heads(cfg, model)
    params = list(model.parameters()) + [p for head in heads.values() for p in head.parameters()]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    aug = AugmentConfig(crop_hw=cfg.crop_hw, scale_range=cfg.scale_range, level=cfg.augment, paste=cfg.paste,
                        paste_classes=pasted)
    per_epoch = len(train_data) // cfg.batch
    if cfg.max_batches:
        per_epoch = min(per_epoch, cfg.max_batches)
    if per_epoch < 1:
        raise InputError(f"{ds.source}: {len(train_data)} training images are fewer than one batch of {cfg.batch}")
    total = per_epoch * cfg.epochs
    cfg.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    stretches: list[dict[str, Any]] = []
    start_epoch, best, elapsed = 0, -1.0, 0.0
    if cfg.resume and (cfg.out / "last.pt").is_file():
        start_epoch, best, rows, elapsed, stretches = _resume(cfg, model, ema, opt, heads)
    stretch = _stretch(start_epoch + 1, cfg.precision)
    if start_epoch < cfg.epochs:  # resuming a finished run adds no stretch
        stretches = [*stretches, stretch]
    longest_train = longest_val = 0.0
    meta_base = {
        "classes": list(ds.classes),
        "colours": [list(c) for c in ds.colours],
        "things": list(ds.things),
        "ignore_index": ds.ignore_index,
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "train": cfg.to_dict(),
        "init": init_lineage(cfg.init, init_meta),
        **({"paste_classes": [ds.classes[c] for c in pasted]} if pasted else {}),
    }
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        sampler = torch.Generator().manual_seed(cfg.seed * 100_003 + epoch)  # the loss's pixel subsets; a resumed
        # run draws the same ones
        model.train()
        losses = []
        with closing(batches(train_data, cfg.batch, aug, ignore, cfg.seed, epoch, teacher_maps)) as it:
            bar = tqdm(it, total=per_epoch, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                       leave=False, file=sys.stderr, dynamic_ncols=True)
            for i, (xb, yb, *extra) in enumerate(bar):
                if i >= per_epoch:
                    break
                for group in opt.param_groups:
                    group["lr"] = _lr_at(cfg, epoch * per_epoch + i, total, per_epoch)
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.precision == "bf16"):
                    logits, aux = model(_to_tensor(xb))
                logits, aux = logits.float(), aux.float()
                target = torch.from_numpy(yb).long()
                loss = segmentation_loss(logits, target, weight, ignore, aux, cfg.aux_weight, cfg.loss, sampler)
                maps = extra[len(extra) - len(heads):]  # the teacher's maps of the crops come last
                for (term, head), teacher_map in zip(heads.items(), maps, strict=True):
                    loss = loss + cfg.distill_weight * head(seen[term].float(), teacher_map, target != ignore)
                if len(extra) > len(heads):  # the teacher's soft person targets
                    labels = target if cfg.distill_pixels == "agree" else None
                    loss = loss + cfg.distill_weight * distillation_loss(logits, torch.from_numpy(extra[0]), positive,
                                                                         labels=labels, ignore=ignore)
                if not torch.isfinite(loss):
                    raise PixelwiseRuntimeError(
                        f"the training loss became {loss.item()} at epoch {epoch + 1}, batch {i + 1}; the weights of "
                        f"the last finished epoch are in {cfg.out}" + (
                            ": resume it with --precision fp32 (bf16 has 8 bits of mantissa)"
                            if cfg.precision == "bf16" else "; a lower --lr may help"))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                ema.update_parameters(model)
                losses.append(loss.item())
                bar.set_postfix(loss=f"{np.mean(losses):.3f}")
            bar.close()
        longest_train = max(longest_train, time.perf_counter() - t0)
        row: dict[str, Any] = {"epoch": epoch + 1, "lr": opt.param_groups[0]["lr"], "loss": float(np.mean(losses))}
        stop = _out_of_time(cfg, epoch, time.perf_counter() - started, longest_train, longest_val)
        if _validates(cfg, epoch) or stop:  # the epoch a stretch stops after is validated and saved
            t1 = time.perf_counter()
            metrics = evaluate(ema.module, val_data, ds.num_classes, ds.ignore_index).metrics()
            row.update(val_miou=round(metrics.miou, 3), val_pixacc=round(metrics.pixel_accuracy, 3))
            row.update({f"iou_{n}": round(float(v), 2) for n, v in zip(ds.classes, metrics.iou)})
            stretch.update(last_epoch=epoch + 1, minutes=round((time.perf_counter() - started) / 60, 1))
            meta = {**meta_base, "epoch": epoch + 1, "val": metrics.to_dict(ds.classes), "stretches": stretches}
            save_weights(cfg.out / "last.safetensors", ema.module, meta)
            if metrics.miou > best:
                best = metrics.miou
                save_weights(cfg.out / "best.safetensors", ema.module, meta)
            longest_val = max(longest_val, time.perf_counter() - t1)
        elapsed += time.perf_counter() - t0
        row.update(seconds=round(time.perf_counter() - t0, 1), elapsed_min=round(elapsed / 60, 1))
        rows.append(row)
        stretch.update(last_epoch=epoch + 1, minutes=round((time.perf_counter() - started) / 60, 1))
        save_state(cfg.out / "last.pt", {
            "model": model.state_dict(), "ema": ema.state_dict(), "optimizer": opt.state_dict(),
            "epoch": epoch + 1, "best": best, "rows": rows, "elapsed": elapsed, "config": cfg.to_dict(),
            "stretches": stretches,
            **{HEAD_STATE_KEYS[term]: head.state_dict() for term, head in heads.items()},
        })
        _write_log(cfg.out, rows)
        if progress:
            extra = f" val mIoU {row['val_miou']:.2f} (best {best:.2f})" if "val_miou" in row else ""
            print(f"epoch {epoch + 1}/{cfg.epochs} loss {row['loss']:.4f} lr {row['lr']:.2e} "
                  f"{row['seconds']:.0f}s{extra}", file=sys.stderr, flush=True)
        if stop:
            break
    summary = {
        "config": cfg.to_dict(),
        "best_val_miou": best,
        "epochs": len(rows),
        "finished": len(rows) >= cfg.epochs,
        "train_minutes": round(elapsed / 60, 1),
        "machine": {"cpu_threads": cfg.threads, "platform": platform.platform(), "torch": torch.__version__},
        "stretches": stretches,
        "rows": rows,
    }
    atomic_write_bytes(cfg.out / "summary.json", json.dumps(summary, indent=1).encode())
    return summary


