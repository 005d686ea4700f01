"""A small MobileNetV2: inverted residuals (expand, depthwise, linear project) with ReLU6."""

from __future__ import annotations

import torch
from torch import nn

from intq.zoo.base import ZooModule


def conv_bn_relu6(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1
                  ) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups,
                                   bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int, kernel: int = 3) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [conv_bn_relu6(cin, hidden, 1)] if expand != 1 else []
        layers += [conv_bn_relu6(hidden, hidden, kernel, stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(ZooModule):
    """``stages`` lists (expansion, channels, repeats, first stride) as in the paper's table."""

    def __init__(self, stages: tuple[tuple[int, int, int, int], ...] = (
                     (1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 2, 2)),
                 stem: int = 16, head: int = 128, image_size: int = 32, in_channels: int = 3,
                 num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = ("N", in_channels, image_size, image_size)
        layers: list[nn.Module] = [conv_bn_relu6(in_channels, stem, 3)]
        cin = stem
        for expand, cout, repeats, stride in stages:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn_relu6(cin, head, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(head, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))
