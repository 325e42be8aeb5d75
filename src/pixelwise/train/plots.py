"""Training curves: loss and validation mIoU per epoch, as a PNG."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..io.image import atomic_write_bytes

__all__ = ["plot_log"]


def plot_log(rows: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax1 = plt.subplots(figsize=(7, 4), dpi=100)
    ax1.plot([r["epoch"] for r in rows], [r["loss"] for r in rows], color="tab:blue", label="train loss")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("train loss", color="tab:blue")
    val = [r for r in rows if r.get("val_miou") not in (None, "")]
    if val:
        ax2 = ax1.twinx()
        ax2.plot([r["epoch"] for r in val], [float(r["val_miou"]) for r in val], "o-", color="tab:red", ms=3)
        ax2.set_ylabel("val mIoU (%)", color="tab:red")
    ax1.set_title("pixelwise training")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
