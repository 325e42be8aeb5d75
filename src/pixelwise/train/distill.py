"""Distilling what a pre-trained teacher knows into the student's features (training-only heads).

A from-scratch student has never seen ImageNet or COCO; the teacher (train/teacher.py) has.

- Features (``--distill features``): a 1x1 projection maps the student's deepest features onto
  the teacher's channels; the loss is the per-pixel cosine distance on the student's grid.
- Classes (``--distill classes``): a 1x1 classifier on the student's last features (those its
  own head reads) predicts the teacher's distribution over its 21 VOC classes; the loss is the
  per-pixel KL divergence on the student's grid, over the labelled pixels (not a crop's
  padding). A two-class person model then has to tell a dog, a horse or a chair apart in the
  features its person head reads.

Neither head ships: the exported network is unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FeatureDistiller", "ClassDistiller", "feature_distillation_loss", "class_distillation_loss"]


def feature_distillation_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Mean per-pixel ``1 - cos`` between (N, C, h, w) ``student`` and (N, C, H, W) ``teacher``,
    the teacher resized (area-like) to the student's grid. 0 when they point the same way."""
    if teacher.shape[-2:] != student.shape[-2:]:
        teacher = F.interpolate(teacher, size=student.shape[-2:], mode="bilinear", align_corners=False,
                                antialias=True)
    s = F.normalize(student, dim=1, eps=1e-6)
    t = F.normalize(teacher, dim=1, eps=1e-6)
    return (1.0 - (s * t).sum(dim=1)).mean()


class FeatureDistiller(nn.Module):
    """Training-only head: ``distiller(student_features, teacher_nhwc) -> loss``.

    ``valid`` is accepted so that every head is called alike, and not used: the feature term
    covers the whole crop, padding included (as the shipped people model was trained).
    """

    def __init__(self, student_channels: int, teacher_channels: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(student_channels, teacher_channels, 1)

    def forward(self, student: torch.Tensor, teacher_nhwc: np.ndarray | torch.Tensor,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        t = torch.as_tensor(teacher_nhwc).permute(0, 3, 1, 2).float()
        return feature_distillation_loss(self.project(student), t)


def class_distillation_loss(student: torch.Tensor, teacher: torch.Tensor,
                            valid: torch.Tensor | None = None) -> torch.Tensor:
    """Mean per-pixel KL divergence KL(teacher || student) from (N, K, H, W) teacher probabilities to the
    softmax of (N, K, h, w) ``student`` logits, the teacher resized (bilinear, corners aligned,
    renormalised) to the student's grid. 0 when they agree. ``valid`` (N, H', W') bool, any size: the pixels that count
    (labelled ones: a crop's padding carries no target), a grid cell counting when most of it is valid.
    """
    grid = student.shape[-2:]
    if teacher.shape[-2:] != grid:  # the teacher's grid spans the crop corner to corner (train/teacher.py)
        teacher = F.interpolate(teacher, size=grid, mode="bilinear", align_corners=True)
    t = teacher.clamp_min(0.0)
    t = t / t.sum(dim=1, keepdim=True).clamp_min(1e-6)
    log_t = torch.log(t.clamp_min(1e-8))
    per_pixel = (t * (log_t - F.log_softmax(student, dim=1))).sum(dim=1)
    if valid is None:
        return per_pixel.mean()
    keep = F.interpolate(valid[:, None].float(), size=grid, mode="area")[:, 0] > 0.5
    if not bool(keep.any()):
        return student.sum() * 0.0
    return per_pixel[keep].mean()


class ClassDistiller(nn.Module):
    """Training-only head: ``distiller(student_features, teacher_probabilities_nhwc, valid) -> loss``."""

    def __init__(self, student_channels: int, teacher_classes: int) -> None:
        super().__init__()
        self.classify = nn.Conv2d(student_channels, teacher_classes, 1)

    def forward(self, student: torch.Tensor, teacher_nhwc: np.ndarray | torch.Tensor,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        t = torch.as_tensor(teacher_nhwc).permute(0, 3, 1, 2).float()
        return class_distillation_loss(self.classify(student), t, valid)
