"""PWNet: a compact encoder-decoder for real-time semantic segmentation on CPUs.

Layout (strides relative to the input):

    stem     conv3x3 s2 -> conv3x3 s2                      1/4   c1
    detail   residual depthwise blocks (optional)          1/4   c1
    stage2   down + residual depthwise blocks              1/8   c2
    stage3   down + dilated residual depthwise blocks      1/16  c3
    context  global average pool, 1x1, broadcast-added     1/16  c3
    decoder  1/16 -> 1/8 (add skip) -> 1/4 (add skip)       1/4   d
    head     1x1 conv to class logits                      1/4

The network returns logits at 1/4 of the input size; callers upsample them
(bilinear) to the image size. Only operators that ONNX Runtime runs well on CPUs
are used (Conv, BatchNorm folded on export, ReLU, Add, Resize, GlobalAveragePool).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["PWNetConfig", "PWNet"]


@dataclass(frozen=True)
class PWNetConfig:
    """Widths and depths of a PWNet; stored with the weights so a model can be rebuilt."""

    num_classes: int = 11
    c1: int = 32
    c2: int = 64
    c3: int = 160
    decoder: int = 96
    blocks1: int = 0
    blocks2: int = 4
    blocks3: int = 8
    dilations3: tuple[int, ...] = (1, 2, 4, 8)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "PWNetConfig":
        values = dict(values)
        values["dilations3"] = tuple(values.get("dilations3", cls.dilations3))
        return cls(**values)


def conv_bn_relu(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1,
                 dilation: int = 1, relu: bool = True) -> nn.Sequential:
    pad = dilation * (kernel - 1) // 2
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride, pad, dilation=dilation, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class DWBlock(nn.Module):
    """Residual block: 3x3 depthwise (dilated) -> 1x1 expand -> 1x1 project."""

    def __init__(self, channels: int, dilation: int = 1, expand: int = 2) -> None:
        super().__init__()
        hidden = channels * expand
        self.dw = conv_bn_relu(channels, channels, 3, groups=channels, dilation=dilation, relu=False)
        self.pw1 = conv_bn_relu(channels, hidden, 1)
        self.pw2 = conv_bn_relu(hidden, channels, 1, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.pw2(self.pw1(self.dw(x))))


class Down(nn.Module):
    """Stride-2 reduction: depthwise 3x3 s2 then 1x1, concatenated with a max-pooled shortcut."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.dw = conv_bn_relu(cin, cin, 3, stride=2, groups=cin, relu=False)
        self.pw = conv_bn_relu(cin, cout - cin, 1)
        self.pool = nn.MaxPool2d(2, 2, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.pw(self.dw(x))
        b = self.pool(x)
        if b.shape[-2:] != a.shape[-2:]:
            b = b[..., : a.shape[-2], : a.shape[-1]]
        return torch.cat([a, b], dim=1)


class PWNet(nn.Module):
    def __init__(self, config: PWNetConfig = PWNetConfig()) -> None:
        super().__init__()
        c = config
        self.config = config
        self.stem = nn.Sequential(conv_bn_relu(3, c.c1 // 2, 3, 2), conv_bn_relu(c.c1 // 2, c.c1, 3, 2))
        self.detail = nn.Sequential(*[DWBlock(c.c1) for _ in range(c.blocks1)])  # empty by default
        self.stage2 = nn.Sequential(Down(c.c1, c.c2), *[DWBlock(c.c2) for _ in range(c.blocks2)])
        dil = [c.dilations3[i % len(c.dilations3)] for i in range(c.blocks3)]
        self.stage3 = nn.Sequential(Down(c.c2, c.c3), *[DWBlock(c.c3, d) for d in dil])
        self.context = conv_bn_relu(c.c3, c.c3, 1)
        self.lat3 = conv_bn_relu(c.c3, c.decoder, 1, relu=False)
        self.lat2 = conv_bn_relu(c.c2, c.decoder, 1, relu=False)
        self.lat1 = conv_bn_relu(c.c1, c.decoder, 1, relu=False)
        self.fuse2 = conv_bn_relu(c.decoder, c.decoder, 3, groups=c.decoder)
        self.fuse1 = nn.Sequential(
            conv_bn_relu(c.decoder, c.decoder, 3, groups=c.decoder), conv_bn_relu(c.decoder, c.decoder, 1)
        )
        self.head = nn.Conv2d(c.decoder, c.num_classes, 1)
        self.aux = nn.Conv2d(c.c3, c.num_classes, 1)  # deep supervision at 1/16, training only

    def reset_head(self, num_classes: int) -> None:
        """Replace the classifier (fine-tuning on a different class list)."""
        d = self.head.in_channels
        self.head = nn.Conv2d(d, num_classes, 1)
        self.aux = nn.Conv2d(self.aux.in_channels, num_classes, 1)
        self.config = PWNetConfig.from_dict({**self.config.to_dict(), "num_classes": num_classes})

    def add_detail_blocks(self, blocks: int) -> None:
        """Append 1/4-resolution residual blocks that start as the identity (the scale of each block's
        last BatchNorm is zero and the stem's output is non-negative), so a trained network keeps its
        answers and learns to use the new blocks."""
        for _ in range(blocks):
            block = DWBlock(self.config.c1)
            nn.init.zeros_(block.pw2[1].weight)
            self.detail.append(block)
        self.config = replace(self.config, blocks1=self.config.blocks1 + blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        f1 = self.detail(self.stem(x))
        f2 = self.stage2(f1)
        f3 = self.stage3(f2)
        f3 = f3 + self.context(F.adaptive_avg_pool2d(f3, 1))
        y = self.lat3(f3)
        y = F.interpolate(y, size=f2.shape[-2:], mode="bilinear", align_corners=False)
        y = self.fuse2(F.relu(y + self.lat2(f2)))
        y = F.interpolate(y, size=f1.shape[-2:], mode="bilinear", align_corners=False)
        y = self.fuse1(F.relu(y + self.lat1(f1)))
        logits = self.head(y)
        if self.training:
            return logits, self.aux(f3)
        return logits
