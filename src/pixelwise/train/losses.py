"""Losses for semantic segmentation (pure functions plus the class weighting)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from .choices import LOSSES

__all__ = ["class_weights", "segmentation_loss", "hard_pixel_mean", "lovasz_softmax", "distillation_loss", "OHEM_PROB",
           "OHEM_MIN_KEPT", "LOVASZ_MAX_PIXELS"]

# OHEM as BiSeNet/STDC use it: the hard pixels are those whose true class gets p < OHEM_PROB, and
# at least OHEM_MIN_KEPT of the valid pixels (the hardest) count, so an easy batch still learns.
OHEM_PROB = 0.7
OHEM_MIN_KEPT = 1 / 16
# The Lovasz term sorts each class's errors; past this many labelled pixels a batch is scored on a
# uniform random subset of them (a 16 x 320 x 320 batch: 1 in 25; a class with 1% of the pixels is
# still scored on about 650 of them).
LOVASZ_MAX_PIXELS = 65_536


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
    kind: str = "ce",
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Weighted cross-entropy at the target's resolution, plus a deep-supervision term.

    ``kind``: "ce" averages every labelled pixel; "ohem" only the hard ones (``hard_pixel_mean``);
    "ce+lovasz" adds the Lovasz-softmax surrogate of (1 - IoU) of the classes present (``lovasz_softmax``,
    its pixel subset drawn with ``generator``).
    """
    if kind not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {kind!r}")
    size = target.shape[-2:]
    up = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
    if kind == "ohem":
        loss = hard_pixel_mean(up, target, weight, ignore_index)
    else:
        loss = F.cross_entropy(up, target, weight=weight, ignore_index=ignore_index)
    if kind == "ce+lovasz":
        loss = loss + lovasz_softmax(up, target, ignore_index, generator=generator)
    if aux is not None and aux_weight > 0:  # deep supervision at the aux resolution (cheap)
        small = F.interpolate(target[:, None].float(), size=aux.shape[-2:], mode="nearest")[:, 0].long()
        loss = loss + aux_weight * F.cross_entropy(aux, small, weight=weight, ignore_index=ignore_index)
    return loss


def hard_pixel_mean(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None,
                    ignore_index: int) -> torch.Tensor:
    """Online hard example mining: the class-weighted cross-entropy of the pixels whose true class
    has probability < OHEM_PROB, or of the hardest OHEM_MIN_KEPT of them when fewer are that hard.
    Pixels are chosen by their unweighted loss, so rare classes are not mined twice."""
    ce = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="none")
    valid = target != ignore_index
    losses = ce[valid]
    if losses.numel() == 0:
        return logits.sum() * 0.0
    n_min = max(1, int(losses.numel() * OHEM_MIN_KEPT))
    hard = losses > -math.log(OHEM_PROB)
    if int(hard.sum()) < n_min:
        hard = torch.zeros_like(hard)
        hard[torch.topk(losses, n_min).indices] = True
    w = weight[target[valid]] if weight is not None else torch.ones_like(losses)
    return (losses[hard] * w[hard]).sum() / w[hard].sum()


def lovasz_softmax(logits: torch.Tensor, target: torch.Tensor, ignore_index: int,
                   max_pixels: int = LOVASZ_MAX_PIXELS, generator: torch.Generator | None = None) -> torch.Tensor:
    """The Lovasz-softmax loss (Berman et al., CVPR 2018): the mean, over the classes present in
    the batch, of the Lovasz extension of the Jaccard loss applied to the errors |fg - p|.

    For hard predictions (probabilities 0 or 1) it equals the mean of (1 - IoU) over those classes,
    so it trains the score mIoU measures, where every class counts alike however few its pixels.
    ``logits``: (N, C, H, W) at the target's size; ``target``: (N, H, W) with ``ignore_index``.
    At most ``max_pixels`` labelled pixels count (beyond that a uniform random subset, drawn with
    ``generator``), and the classes are those present among them."""
    n, c = logits.shape[:2]
    labels = target.reshape(-1)
    keep = torch.nonzero(labels != ignore_index)[:, 0]
    if keep.numel() > max_pixels:
        keep = keep[torch.randperm(keep.numel(), generator=generator)[:max_pixels]]
    hw = labels.numel() // n
    picked = logits.reshape(n, c, hw)[keep // hw, :, keep % hw]  # (pixels, classes)
    probs, labels = F.softmax(picked, dim=1), labels[keep]
    terms = []
    for k in torch.unique(labels).tolist():
        fg = (labels == k).float()
        errors, order = torch.sort((fg - probs[:, k]).abs(), descending=True)
        terms.append(torch.dot(errors, _jaccard_grad(fg[order])))
    if not terms:
        return logits.sum() * 0.0
    return torch.stack(terms).mean()


def _jaccard_grad(fg_sorted: torch.Tensor) -> torch.Tensor:
    """The Lovasz extension's gradient for ground truth sorted by decreasing error."""
    total = fg_sorted.sum()
    intersection = total - fg_sorted.cumsum(0)
    union = total + (1.0 - fg_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1].clone()
    return jaccard


def distillation_loss(logits: torch.Tensor, soft: torch.Tensor, positive: int, pad: int = 255,
                      labels: torch.Tensor | None = None, ignore: int = 255) -> torch.Tensor:
    """Cross-entropy of a two-class student against a teacher's probability of class ``positive``.

    ``soft``: (N, H, W) uint8 teacher probability x 254 (``pad`` = no target), at the target size.
    ``labels`` (same size, optional): the teacher's term is kept only where it agrees with them
    (its more likely class is the label) or where they are ``ignore``; elsewhere the labels alone
    teach (``--distill-pixels agree``).
    """
    up = F.interpolate(logits, size=soft.shape[-2:], mode="bilinear", align_corners=False)
    valid = soft != pad
    t = soft.float().clamp(max=254) / 254.0
    if labels is not None:
        valid &= (labels == ignore) | ((t >= 0.5) == (labels == positive))
    if not bool(valid.any()):
        return up.sum() * 0.0
    logp = F.log_softmax(up, dim=1)
    pos, neg = logp[:, positive], logp[:, 1 - positive]
    per_pixel = -(t * pos + (1.0 - t) * neg)
    return per_pixel[valid].mean()
