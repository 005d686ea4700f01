"""IntZeroInsert: the data movement that turns a transposed convolution into a direct one.

A ConvTranspose with strides ``s``, dilations ``d``, kernel ``k``, pads ``(pb, pe)`` and
``output_padding`` ``op`` equals a stride-1 convolution (dilations ``d``, the kernel flipped
and its in/out channels swapped within each group) of the input with ``s - 1`` zeros inserted
between neighbours, padded by ``d(k-1) - pb`` before and ``d(k-1) - pe + op`` after each
spatial axis (negative pads crop). That identity is exact on integers, so the quantizer lowers
ConvTranspose to this op followed by the existing ``IntConv`` (with its overflow proof, fast
path, fused requantization and export). The price is the multiplications by the inserted
zeros (about ``prod(s)`` times the MACs of a scatter), which the cost model counts honestly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import Dim, TensorType
from intq.ops.integer.base import IntegerOp, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register


def zero_insert(x: np.ndarray, strides: Sequence[int], pads: Sequence[int]) -> np.ndarray:
    """``x`` (N x C x spatial) with ``s - 1`` zeros between neighbours along each spatial axis,
    then padded with zeros (positive ``pads``, begins then ends) or cropped (negative)."""
    rank = len(strides)
    _check(x.ndim - 2, strides, pads)
    spaced = [(size - 1) * s + 1 if size else 0 for size, s in zip(x.shape[2:], strides)]
    begins, ends = pads[:rank], pads[rank:]
    out = [max(n + b + e, 0) for n, b, e in zip(spaced, begins, ends)]
    full = [max(b, 0) + n + max(e, 0) for n, b, e in zip(spaced, begins, ends)]
    y = np.zeros((*x.shape[:2], *full), dtype=x.dtype)
    y[(..., *(slice(max(b, 0), max(b, 0) + n, s)
              for b, n, s in zip(begins, spaced, strides)))] = x
    crop = tuple(slice(max(-b, 0), max(-b, 0) + o) for b, o in zip(begins, out))
    return np.ascontiguousarray(y[(slice(None), slice(None), *crop)])


def zero_insert_size(size: Dim, stride: int, begin: int, end: int) -> Dim:
    """Output length along one axis (a symbolic size stays unknown)."""
    if not isinstance(size, int):
        return "?"
    return max(((size - 1) * stride + 1 if size else 0) + begin + end, 0)


def _check(spatial_rank: int, strides: Sequence[int], pads: Sequence[int]) -> None:
    if len(strides) != spatial_rank or len(pads) != 2 * spatial_rank:
        raise ValueError(f"IntZeroInsert needs {spatial_rank} strides and {2 * spatial_rank} "
                         f"pads for a {spatial_rank}-D input, got {list(strides)} and "
                         f"{list(pads)}")
    if any(s < 1 for s in strides):
        raise ValueError(f"IntZeroInsert strides must be positive, got {list(strides)}")


@register
class IntZeroInsert(IntegerOp):
    """``y = pad(x with s-1 zeros between neighbours)`` along the spatial axes.

    Input ``x`` (int, N x C x spatial). Attributes: ``strides`` (list of int >= 1, one per
    spatial axis), ``pads`` (list of int, begins then ends; negative crops). Output: ``x``'s
    dtype and grid; every value is an input value or 0.
    """

    op_type = "IntZeroInsert"
    attrs = {"strides": REQUIRED, "pads": REQUIRED}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [zero_insert(x, attrs["strides"], attrs["pads"])]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        strides, pads = attrs["strides"], attrs["pads"]
        if x.shape is None:
            return [TensorType(None, x.dtype)]
        _check(len(x.shape) - 2, strides, pads)
        rank = len(strides)
        spatial = [zero_insert_size(n, s, b, e) for n, s, b, e in
                   zip(x.shape[2:], strides, pads[:rank], pads[rank:])]
        return [TensorType((*x.shape[:2], *spatial), x.dtype)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        return [needs_range(ranges, 0, "IntZeroInsert input x").hull()]
