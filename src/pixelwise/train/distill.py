"""Feature distillation: the student's 1/16 features learn to predict a pre-trained teacher's.

A from-scratch student has never seen ImageNet or COCO; the teacher (train/teacher.py) has.
A training-only 1x1 projection maps the student's deepest features onto the teacher's
channels, and the loss is the per-pixel cosine distance on the student's grid. The
projection never ships: the exported network is unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["FeatureDistiller", "feature_distillation_loss"]


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
    """Training-only head: ``distiller(student_features, teacher_nhwc) -> loss``."""

    def __init__(self, student_channels: int, teacher_channels: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(student_channels, teacher_channels, 1)

    def forward(self, student: torch.Tensor, teacher_nhwc: np.ndarray | torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(teacher_nhwc).permute(0, 3, 1, 2).float()
        return feature_distillation_loss(self.project(student), t)
