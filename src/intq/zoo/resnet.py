"""A small CIFAR-style ResNet: BasicBlocks with BatchNorm and residual adds."""

from __future__ import annotations

import torch
from torch import nn

from intq.zoo.base import ZooModule


def conv_bn(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
                         nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3)
        self.shortcut = (conv_bn(cin, cout, 1, stride) if stride != 1 or cin != cout
                         else nn.Identity())
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv2(self.relu(self.conv1(x))) + self.shortcut(x))


class ResNet(ZooModule):
    def __init__(self, blocks: tuple[int, ...] = (1, 1, 1), widths: tuple[int, ...] = (16, 32, 64),
                 image_size: int = 32, in_channels: int = 3, num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = ("N", in_channels, image_size, image_size)
        self.stem = nn.Sequential(conv_bn(in_channels, widths[0], 3), nn.ReLU())
        stages: list[nn.Module] = []
        cin = widths[0]
        for stage, (count, width) in enumerate(zip(blocks, widths)):
            for i in range(count):
                stages.append(BasicBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.stages(self.stem(x))), 1))
