"""A BERT sentence encoder in plain torch, loading Hugging Face ``BertModel`` safetensors.

``transformers`` is not needed: the module names mirror ``BertModel``'s state-dict keys (with
``attention.self`` spelled ``attention.attend``), so a sentence-transformers checkpoint such as
all-MiniLM-L6-v2 loads as it is. The forward pass ends in what sentence-transformers adds on
top: mean pooling over the attention mask and L2 normalization, so one call gives the
embeddings a user compares.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class BertConfig:
    """The fields of a Hugging Face ``config.json`` that shape the network."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @classmethod
    def from_json(cls, path: Path) -> BertConfig:
        data = json.loads(Path(path).read_text())
        if data.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: hidden_act {data['hidden_act']!r} is not 'gelu'")
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class Embeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings,
                                                config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """Single-segment input: every token has type 0, as in sentence encoding."""
        positions = self.position_embeddings.weight[:input_ids.shape[1]]
        hidden = (self.word_embeddings(input_ids) + positions
                  + self.token_type_embeddings.weight[0])
        return self.LayerNorm(hidden)


class SelfAttention(nn.Module):
    """Multi-head attention written without unpacking shapes, so torch.fx can trace it too
    (the PyTorch FX quantizer in the benchmark needs that)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.head_size = config.hidden_size // self.heads
        self.scale = 1.0 / math.sqrt(self.head_size)
        size = config.hidden_size
        self.query, self.key, self.value = (nn.Linear(size, size) for _ in range(3))

    def split(self, hidden: torch.Tensor) -> torch.Tensor:
        """[N, T, H] → [N, heads, T, H / heads]."""
        return hidden.view(hidden.shape[0], -1, self.heads, self.head_size).transpose(1, 2)

    def forward(self, hidden: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        q, k, v = (self.split(layer(hidden)) for layer in (self.query, self.key, self.value))
        scores = q @ k.transpose(-1, -2) * self.scale + mask_bias
        context = torch.softmax(scores, dim=-1) @ v
        return context.transpose(1, 2).flatten(2)


class DenseNorm(nn.Module):
    """``dense`` then dropout-free residual add and ``LayerNorm`` (BERT's output blocks)."""

    def __init__(self, size_in: int, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(size_in, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(hidden) + residual)


class Attention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attend = SelfAttention(config)
        self.output = DenseNorm(config.hidden_size, config)

    def forward(self, hidden: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        return self.output(self.attend(hidden, mask_bias), hidden)


class Intermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(hidden))


class Layer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = Attention(config)
        self.intermediate = Intermediate(config)
        self.output = DenseNorm(config.intermediate_size, config)

    def forward(self, hidden: torch.Tensor, mask_bias: torch.Tensor) -> torch.Tensor:
        hidden = self.attention(hidden, mask_bias)
        return self.output(self.intermediate(hidden), hidden)


class Encoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(Layer(config) for _ in range(config.num_hidden_layers))


class SentenceEncoder(nn.Module):
    """``(input_ids, attention_mask)`` (int64, [N, T]) → L2-normalized embeddings [N, H]."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.embeddings = Embeddings(config)
        self.encoder = Encoder(config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.to(torch.float32)
        mask_bias = (1.0 - mask)[:, None, None, :] * torch.finfo(torch.float32).min
        hidden = self.embeddings(input_ids)
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask_bias)
        summed = (hidden * mask[..., None]).sum(1)
        pooled = summed / mask.sum(1, keepdim=True).clamp(min=1e-9)
        return F.normalize(pooled, p=2.0, dim=1)


def load_sentence_encoder(folder: Path) -> SentenceEncoder:
    """The encoder of a Hugging Face BERT folder (``config.json`` + ``model.safetensors``),
    in eval mode. The pooler and ``position_ids`` are not used by sentence embeddings."""
    from safetensors.torch import load_file

    folder = Path(folder)
    model = SentenceEncoder(BertConfig.from_json(folder / "config.json"))
    state = {key.replace("attention.self.", "attention.attend."): value
             for key, value in load_file(folder / "model.safetensors").items()
             if not key.startswith("pooler.") and key != "embeddings.position_ids"}
    model.load_state_dict(state, strict=True)
    return model.eval()
