"""Ops that compute shapes or create tensors from them: Shape, Size, ConstantOfShape, Range,
EyeLike.

Their outputs are integers that usually steer a later Reshape/Expand; when the input shape is
static, ``infer`` can say so and constant folding can remove them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import DTYPES, TensorType
from intq.ops.base import const_ints, known_rank, unknown_shape
from intq.ops.registry import OpDef, register


def shape_slice(rank: int, start: int, end: int | None) -> slice:
    """Shape's start/end: negative values count from the end, then clamp to [0, rank]."""
    def clamp(v: int) -> int:
        return min(max(v + rank if v < 0 else v, 0), rank)
    return slice(clamp(start), rank if end is None else clamp(end))


@register
class Shape(OpDef):
    """The input's shape as int64, optionally sliced by ``start``/``end`` (``end`` is ``None``
    when absent)."""

    op_type = "Shape"
    attrs = {"start": 0, "end": None}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        part = x.shape[shape_slice(x.ndim, attrs["start"], attrs["end"])]
        return [np.array(part, dtype=np.int64)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [unknown_shape("int64", 1)]
        part = shape_slice(len(x.shape), attrs["start"], attrs["end"])
        return [TensorType((len(range(len(x.shape))[part]),), "int64")]


@register
class Size(OpDef):
    op_type = "Size"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.array(x.size, dtype=np.int64)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType((), "int64")]


@register
class ConstantOfShape(OpDef):
    """A tensor of the shape given by the input, filled with ``value``.

    ONNX stores the fill as a one-element tensor attribute; the IR keeps only JSON attributes,
    so ``value`` is a Python int/float scalar and ``dtype`` the NumPy dtype name of the result
    (the importer converts). The defaults, 0.0 and ``"float32"``, are ONNX's.
    """

    op_type = "ConstantOfShape"
    attrs = {"value": 0.0, "dtype": "float32"}
    shape_inputs = (0,)

    def evaluate(self, attrs: dict[str, Any], shape: np.ndarray) -> list[np.ndarray]:
        if attrs["dtype"] not in DTYPES:
            raise UnsupportedOpError(f"ConstantOfShape dtype '{attrs['dtype']}' is not "
                                     f"supported; use one of {list(DTYPES)}")
        return [np.full(tuple(const_ints(shape)), attrs["value"], dtype=attrs["dtype"])]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        if consts[0] is None:
            shape = types[0].shape if known_rank(types[0]) else None
            rank = shape[0] if shape and isinstance(shape[0], int) else None
            return [unknown_shape(attrs["dtype"], rank)]
        return [TensorType(tuple(const_ints(consts[0])), attrs["dtype"])]


@register
class Range(OpDef):
    """start, start + delta, ... up to (excluding) limit, in start's dtype; values accumulate
    by repeated addition as in ONNX Runtime."""

    op_type = "Range"
    shape_inputs = (0, 1, 2)

    def evaluate(self, attrs: dict[str, Any], start: np.ndarray, limit: np.ndarray,
                 delta: np.ndarray) -> list[np.ndarray]:
        first, stop, step = (np.asarray(v).reshape(()) for v in (start, limit, delta))
        if step == 0:
            raise ValueError("Range delta must not be 0")
        count = max(int(np.ceil((float(stop) - float(first)) / float(step))), 0)
        if first.dtype.kind in "iu":
            return [first + step * np.arange(count, dtype=first.dtype)]
        steps = np.full(count, step, dtype=first.dtype)
        if count:
            steps[0] = first
        return [np.cumsum(steps, dtype=first.dtype)]


@register
class EyeLike(OpDef):
    """A 2-D identity-like matrix of the input's shape, ones on diagonal ``k``; ``dtype`` is a
    NumPy dtype name (``None`` keeps the input's), like Cast's ``to``."""

    op_type = "EyeLike"
    attrs = {"dtype": None, "k": 0}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        dtype = attrs["dtype"] or x.dtype.name
        return [np.eye(x.shape[0], x.shape[1], attrs["k"], dtype=dtype)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, attrs["dtype"] or types[0].dtype)]
