"""A small pre-norm transformer encoder classifier over token ids.

Attention is written out with MatMul and Softmax (not ``nn.MultiheadAttention``) so the
exported graph shows the ops an integer-only transformer has to implement, and the learned
positional embedding is sliced to the input's length so the sequence axis stays dynamic.
"""

from __future__ import annotations

import torch
from torch import nn

from intq.zoo.base import ZooModule


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, d = x.shape

        def split_heads(y):
            return y.reshape(n, t, self.heads, d // self.heads).transpose(1, 2)

        q, k, v = split_heads(self.q(x)), split_heads(self.k(x)), split_heads(self.v(x))
        weights = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.scale, dim=-1)
        return self.proj(torch.matmul(weights, v).transpose(1, 2).reshape(n, t, d))


class EncoderBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: int = 2) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(),
                                 nn.Linear(dim * mlp_ratio, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TransformerClassifier(ZooModule):
    input_dtype = torch.int64
    default_sizes = {"T": 8}

    def __init__(self, vocab_size: int = 64, dim: int = 32, heads: int = 4, depth: int = 2,
                 max_len: int = 64, num_classes: int = 10) -> None:
        super().__init__()
        self.input_shape = ("N", "T")
        self.input_high = vocab_size
        self.embed = nn.Embedding(vocab_size, dim)
        self.pos = nn.Parameter(torch.randn(max_len, dim) * 0.1)
        self.blocks = nn.Sequential(*[EncoderBlock(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos[: tokens.shape[1]]
        return self.head(self.norm(self.blocks(x)).mean(dim=1))
