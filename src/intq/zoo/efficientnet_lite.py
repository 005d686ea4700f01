"""A small EfficientNet-Lite: MBConv blocks without squeeze-excite, ReLU6 instead of swish.

These are the Lite changes Google made so the network quantizes well on integer hardware.
"""

from __future__ import annotations

import torch
from torch import nn

from intq.zoo.base import ZooModule
from intq.zoo.mobilenetv2 import InvertedResidual, conv_bn_relu6


class EfficientNetLite(ZooModule):
    """``stages`` lists (expansion, kernel, first stride, channels, repeats) per MBConv stage."""

    def __init__(self, stages: tuple[tuple[int, int, int, int, int], ...] = (
                     (1, 3, 1, 16, 1), (4, 3, 2, 24, 2), (4, 5, 2, 40, 1), (4, 3, 2, 64, 1)),
                 stem: int = 24, head: int = 160, image_size: int = 32, in_channels: int = 3,
                 num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = ("N", in_channels, image_size, image_size)
        layers: list[nn.Module] = [conv_bn_relu6(in_channels, stem, 3, stride=2)]
        cin = stem
        for expand, kernel, stride, cout, repeats in stages:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand, kernel))
                cin = cout
        layers.append(conv_bn_relu6(cin, head, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(head, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))
