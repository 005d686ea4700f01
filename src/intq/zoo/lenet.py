"""LeNet-5 style CNN for single-channel digits, 28x28 (MNIST) or 8x8 (``load_digits``)."""

from __future__ import annotations

import torch
from torch import nn

from intq.errors import IntqError
from intq.zoo.base import ZooModule


class LeNet(ZooModule):
    def __init__(self, image_size: int = 28, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        if image_size % 4:
            raise IntqError(f"LeNet image_size must be a multiple of 4, got {image_size}")
        self.input_shape = ("N", in_channels, image_size, image_size)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Linear(16 * side * side, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))
