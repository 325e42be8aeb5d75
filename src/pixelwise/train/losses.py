"""Losses for semantic segmentation (pure functions plus the class weighting)."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["class_weights", "segmentation_loss", "distillation_loss"]


def class_weights(label_counts: np.ndarray, c: float = 1.10) -> np.ndarray:
    """ENet's class weights ``1 / ln(c + p)`` from per-class pixel counts, mean-normalised."""
    p = label_counts / max(label_counts.sum(), 1)
    w = 1.0 / np.log(c + p)
    return (w / w.mean()).astype(np.float32)


def segmentation_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    weight: torch.Tensor | None,
    ignore_index: int,
    aux: torch.Tensor | None = None,
    aux_weight: float = 0.4,
) -> torch.Tensor:
    """Weighted cross-entropy at the target's resolution, plus a deep-supervision term."""
    size = target.shape[-2:]
    up = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
    loss = F.cross_entropy(up, target, weight=weight, ignore_index=ignore_index)
    if aux is not None and aux_weight > 0:  # deep supervision at the aux resolution (cheap)
        small = F.interpolate(target[:, None].float(), size=aux.shape[-2:], mode="nearest")[:, 0].long()
        loss = loss + aux_weight * F.cross_entropy(aux, small, weight=weight, ignore_index=ignore_index)
    return loss


def distillation_loss(logits: torch.Tensor, soft: torch.Tensor, positive: int, pad: int = 255) -> torch.Tensor:
    """Cross-entropy of a two-class student against a teacher's probability of class ``positive``.

    ``soft``: (N, H, W) uint8 teacher probability x 254 (``pad`` = no target), at the target size.
    """
    up = F.interpolate(logits, size=soft.shape[-2:], mode="bilinear", align_corners=False)
    valid = soft != pad
    if not bool(valid.any()):
        return up.sum() * 0.0
    t = soft.float().clamp(max=254) / 254.0
    logp = F.log_softmax(up, dim=1)
    pos, neg = logp[:, positive], logp[:, 1 - positive]
    per_pixel = -(t * pos + (1.0 - t) * neg)
    return per_pixel[valid].mean()
