"""Normalizing ops: Softmax, LogSoftmax, LayerNormalization, InstanceNormalization,
GroupNormalization, LpNormalization.

Statistics are computed in float32 (``stash_type=1``), subtracting the maximum before
exponentiating, as ONNX Runtime does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import SameTypeOp, known_rank, normalize_axis
from intq.ops.registry import REQUIRED, OpDef, register


@register
class Softmax(SameTypeOp):
    op_type = "Softmax"
    attrs = {"axis": -1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return [e / e.sum(axis=axis, keepdims=True)]


@register
class LogSoftmax(SameTypeOp):
    op_type = "LogSoftmax"
    attrs = {"axis": -1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim)
        shifted = x - x.max(axis=axis, keepdims=True)
        return [shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))]


@register
class LayerNormalization(OpDef):
    """Normalize over axes ``axis..rank-1``; optional outputs Mean and InvStdDev keep X's rank
    with the normalized axes set to 1."""

    op_type = "LayerNormalization"
    attrs = {"axis": -1, "epsilon": 1e-5, "stash_type": 1}
    num_outputs = 3

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, scale: np.ndarray,
                 bias: np.ndarray | None = None) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim)
        axes = tuple(range(axis, x.ndim))
        stat = x.astype(np.float32)
        mean = stat.mean(axis=axes, keepdims=True)
        centered = stat - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        inv_std = 1 / np.sqrt(var + np.float32(attrs["epsilon"]))
        y = (centered * inv_std).astype(x.dtype) * scale
        if bias is not None:
            y = y + bias
        return [y, mean, inv_std]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [x, TensorType(None, "float32"), TensorType(None, "float32")]
        axis = normalize_axis(attrs["axis"], len(x.shape))
        stat = TensorType((*x.shape[:axis], *([1] * (len(x.shape) - axis))), "float32")
        return [x, stat, stat]


@register
class InstanceNormalization(SameTypeOp):
    """Per-sample, per-channel normalization over the spatial axes, then scale and bias per
    channel."""

    op_type = "InstanceNormalization"
    attrs = {"epsilon": 1e-5}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, scale: np.ndarray,
                 bias: np.ndarray) -> list[np.ndarray]:
        axes = tuple(range(2, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axes, keepdims=True)
        shape = (-1, *([1] * (x.ndim - 2)))
        y = centered / np.sqrt(var + x.dtype.type(attrs["epsilon"]))
        return [y * scale.reshape(shape) + bias.reshape(shape)]


@register
class GroupNormalization(SameTypeOp):
    """Per-sample normalization over channel groups and the spatial axes, then scale and bias
    per channel (opset 21), or per group when they hold ``num_groups`` values (opset 18)."""

    op_type = "GroupNormalization"
    attrs = {"epsilon": 1e-5, "num_groups": REQUIRED, "stash_type": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, scale: np.ndarray,
                 bias: np.ndarray) -> list[np.ndarray]:
        groups, channels = int(attrs["num_groups"]), x.shape[1]
        rows = x.reshape(x.shape[0], groups, -1).astype(np.float32)
        mean = rows.mean(axis=-1, keepdims=True)
        centered = rows - mean
        var = (centered * centered).mean(axis=-1, keepdims=True)
        y = (centered / np.sqrt(var + np.float32(attrs["epsilon"]))).reshape(x.shape)
        shape = (-1, *([1] * (x.ndim - 2)))
        scale, bias = (np.repeat(v.reshape(-1), channels // groups) if v.size != channels
                       else v.reshape(-1) for v in (scale, bias))
        return [(y * scale.reshape(shape) + bias.reshape(shape)).astype(x.dtype)]


@register
class LpNormalization(SameTypeOp):
    op_type = "LpNormalization"
    attrs = {"axis": -1, "p": 2}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim)
        if attrs["p"] == 1:
            norm = np.abs(x).sum(axis=axis, keepdims=True)
        elif attrs["p"] == 2:
            norm = np.sqrt((x * x).sum(axis=axis, keepdims=True))
        else:
            raise ValueError(f"LpNormalization p must be 1 or 2, got {attrs['p']}")
        with np.errstate(divide="ignore", invalid="ignore"):
            return [np.where(norm == 0, 0, x / norm).astype(x.dtype)]
