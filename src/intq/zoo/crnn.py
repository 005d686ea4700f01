"""An OCR-style CRNN: conv stack, height collapsed, bidirectional LSTM, per-step classifier.

The image width is a dynamic axis ``"W"``; the output has one row of class scores per
time step (``W / 4`` steps), as a CTC decoder expects.
"""

from __future__ import annotations

from torch import nn

from intq.zoo.base import ZooModule


def conv_block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class CRNN(ZooModule):
    default_sizes = {"W": 32}
    output_axes = {0: "N", 1: "T"}

    def __init__(self, height: int = 32, in_channels: int = 1, channels: int = 32,
                 hidden: int = 32, num_classes: int = 20) -> None:
        super().__init__()
        self.input_shape = ("N", in_channels, height, "W")
        self.features = nn.Sequential(
            *conv_block(in_channels, channels // 2), nn.MaxPool2d(2),
            *conv_block(channels // 2, channels), nn.MaxPool2d(2),
            *conv_block(channels, channels),
        )
        self.rnn = nn.LSTM(channels, hidden, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, num_classes)

    def forward(self, x):
        steps = self.features(x).mean(dim=2).transpose(1, 2)
        return self.classifier(self.rnn(steps)[0])
