"""A multilayer perceptron on flattened 8x8 digit images (scikit-learn's ``load_digits``)."""

from __future__ import annotations

from torch import nn

from intq.zoo.base import ZooModule


class MLP(ZooModule):
    def __init__(self, in_features: int = 64, hidden: tuple[int, ...] = (64, 32),
                 num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = ("N", in_features)
        layers: list[nn.Module] = []
        width = in_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        layers.append(nn.Linear(width, num_classes))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)
