"""Evaluation figures: confusion matrix and per-class IoU bars (matplotlib, imported on use)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

__all__ = ["PLOTS_HINT", "plotting_available", "confusion_png", "iou_bars_png"]

PLOTS_HINT = "plots need matplotlib: pip install 'pixelwise[train]' (or pip install matplotlib)"


def plotting_available() -> bool:
    """True when matplotlib can be imported (it is an optional dependency: the ``train`` extra)."""
    import importlib.util

    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


def _save(fig, path: Path) -> Path:
    from matplotlib import pyplot as plt

    from ..io.image import atomic_write_bytes

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())


def confusion_png(counts: np.ndarray, classes: tuple[str, ...], path: Path) -> Path:
    """Row-normalised confusion matrix (rows: truth, columns: prediction)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    n = len(classes)
    fig, ax = plt.subplots(figsize=(1 + 0.55 * n, 1 + 0.5 * n), dpi=100)
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), classes, rotation=60, ha="right")
    ax.set_yticks(range(n), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(n):
        for j in range(n):
            if norm[i, j] >= 0.01:
                ax.text(j, i, f"{norm[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if norm[i, j] > 0.5 else "black")
    return _save(fig, path)


def iou_bars_png(iou: np.ndarray, classes: tuple[str, ...], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(classes), 3.5), dpi=100)
    values = np.nan_to_num(iou)
    ax.bar(range(len(classes)), values, color="tab:blue")
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right")
    ax.set_ylabel("IoU (%)")
    ax.set_ylim(0, 100)
    ax.axhline(float(np.nanmean(iou)), color="tab:red", lw=1, label=f"mIoU {np.nanmean(iou):.1f}")
    ax.legend(loc="lower right")
    return _save(fig, path)
