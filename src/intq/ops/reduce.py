"""Reductions (Reduce* with the ``axes`` input of opset 18), ArgMax/ArgMin and CumSum.

Without axes, a Reduce op reduces every axis, unless ``noop_with_empty_axes=1`` makes it the
identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import Dim, TensorType
from intq.ops.base import SameTypeOp, const_ints, known_rank, normalize_axis, unknown_shape
from intq.ops.elementwise import truncated_divide
from intq.ops.registry import OpDef, register


def reduced_axes(axes: np.ndarray | None, rank: int, noop_with_empty_axes: int
                 ) -> tuple[int, ...] | None:
    """The normalized axes to reduce, or ``None`` for the identity."""
    listed = const_ints(axes) or []
    if not listed:
        return None if noop_with_empty_axes else tuple(range(rank))
    return tuple(sorted({normalize_axis(a, rank, "Reduce axis") for a in listed}))


def reduced_shape(shape: Sequence[Dim], axes: Sequence[int], keepdims: int) -> tuple[Dim, ...]:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


class ReduceOp(OpDef):
    attrs = {"keepdims": 1, "noop_with_empty_axes": 0}
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axes: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        reduce = reduced_axes(axes, x.ndim, attrs["noop_with_empty_axes"])
        if reduce is None:
            return [x]
        keep = bool(attrs["keepdims"])
        return [np.asarray(self.reduce(x, reduce, keep)).astype(x.dtype, copy=False)]

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        raise NotImplementedError

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        has_axes = len(types) > 1 and types[1] is not None
        if not known_rank(x) or (has_axes and consts[1] is None):
            return [unknown_shape(x.dtype)]
        reduce = reduced_axes(consts[1] if has_axes else None, len(x.shape),
                              attrs["noop_with_empty_axes"])
        if reduce is None:
            return [x]
        return [TensorType(reduced_shape(x.shape, reduce, attrs["keepdims"]), x.dtype)]


@register
class ReduceSum(ReduceOp):
    op_type = "ReduceSum"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return x.sum(axis=axes, keepdims=keepdims, dtype=x.dtype)


@register
class ReduceMean(ReduceOp):
    op_type = "ReduceMean"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        if x.dtype.kind in "iu":
            count = int(np.prod([x.shape[a] for a in axes]))
            return truncated_divide(x.sum(axis=axes, keepdims=keepdims), count)
        return x.mean(axis=axes, keepdims=keepdims, dtype=x.dtype)


@register
class ReduceMax(ReduceOp):
    op_type = "ReduceMax"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return x.max(axis=axes, keepdims=keepdims)


@register
class ReduceMin(ReduceOp):
    op_type = "ReduceMin"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return x.min(axis=axes, keepdims=keepdims)


@register
class ReduceProd(ReduceOp):
    op_type = "ReduceProd"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return x.prod(axis=axes, keepdims=keepdims, dtype=x.dtype)


@register
class ReduceL1(ReduceOp):
    op_type = "ReduceL1"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return np.abs(x).sum(axis=axes, keepdims=keepdims, dtype=x.dtype)


@register
class ReduceL2(ReduceOp):
    op_type = "ReduceL2"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return np.sqrt((x * x).sum(axis=axes, keepdims=keepdims, dtype=x.dtype))


@register
class ReduceSumSquare(ReduceOp):
    op_type = "ReduceSumSquare"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return (x * x).sum(axis=axes, keepdims=keepdims, dtype=x.dtype)


@register
class ReduceLogSumExp(ReduceOp):
    op_type = "ReduceLogSumExp"

    def reduce(self, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        peak = x.max(axis=axes, keepdims=True)
        total = np.exp(x - peak).sum(axis=axes, keepdims=True, dtype=x.dtype)
        out = np.log(total) + peak
        return out if keepdims else out.squeeze(axis=axes)


class ArgReduceOp(OpDef):
    """ArgMax/ArgMin: int64 positions of the first extreme, or the last with
    ``select_last_index=1``."""

    attrs = {"axis": 0, "keepdims": 1, "select_last_index": 0}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim)
        if attrs["select_last_index"]:
            flipped = self.arg(np.flip(x, axis=axis), axis)
            index = x.shape[axis] - 1 - flipped
        else:
            index = self.arg(x, axis)
        if attrs["keepdims"]:
            index = np.expand_dims(index, axis)
        return [index.astype(np.int64)]

    def arg(self, x: np.ndarray, axis: int) -> np.ndarray:
        raise NotImplementedError

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [unknown_shape("int64")]
        axis = normalize_axis(attrs["axis"], len(x.shape))
        return [TensorType(reduced_shape(x.shape, (axis,), attrs["keepdims"]), "int64")]


@register
class ArgMax(ArgReduceOp):
    op_type = "ArgMax"

    def arg(self, x: np.ndarray, axis: int) -> np.ndarray:
        return np.argmax(x, axis=axis)


@register
class ArgMin(ArgReduceOp):
    op_type = "ArgMin"

    def arg(self, x: np.ndarray, axis: int) -> np.ndarray:
        return np.argmin(x, axis=axis)


@register
class CumSum(SameTypeOp):
    """Running sum along the ``axis`` input; ``exclusive`` shifts by one, ``reverse`` runs from
    the end."""

    op_type = "CumSum"
    attrs = {"exclusive": 0, "reverse": 0}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axis: np.ndarray
                 ) -> list[np.ndarray]:
        a = normalize_axis(int(np.asarray(axis).reshape(-1)[0]), x.ndim, "CumSum axis")
        y = np.flip(x, a) if attrs["reverse"] else x
        total = np.cumsum(y, axis=a, dtype=x.dtype)
        if attrs["exclusive"]:
            shifted = np.zeros_like(total)
            head = [slice(None)] * x.ndim
            tail = [slice(None)] * x.ndim
            head[a], tail[a] = slice(1, None), slice(None, -1)
            shifted[tuple(head)] = total[tuple(tail)]
            total = shifted
        return [np.flip(total, a) if attrs["reverse"] else total]
