"""A small Vision Transformer: patch embedding, class token, the zoo's encoder blocks."""

from __future__ import annotations

import torch
from torch import nn

from intq.errors import IntqError
from intq.zoo.base import ZooModule
from intq.zoo.transformer import EncoderBlock


class ViT(ZooModule):
    def __init__(self, image_size: int = 16, patch: int = 4, in_channels: int = 3, dim: int = 32,
                 heads: int = 4, depth: int = 2, num_classes: int = 10) -> None:
        super().__init__()
        if image_size % patch:
            raise IntqError(f"ViT image_size {image_size} is not a multiple of patch {patch}")
        self.input_shape = ("N", in_channels, image_size, image_size)
        self.patchify = nn.Conv2d(in_channels, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.1)
        self.pos = nn.Parameter(torch.randn(1, (image_size // patch) ** 2 + 1, dim) * 0.1)
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        patches = self.patchify(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(patches.shape[0], -1, -1), patches], dim=1) + self.pos
        return self.head(self.norm(self.blocks(x))[:, 0])
