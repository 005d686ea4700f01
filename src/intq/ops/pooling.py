"""Pooling: MaxPool, AveragePool and their global forms, over any number of spatial axes.

Like Conv, the windowed pools carry explicit ``pads`` and a required ``kernel_shape`` (no
``auto_pad``). Windows are scanned one kernel tap at a time, in ONNX Runtime's order, so sums
accumulate in the same sequence and ties resolve to the same (first) maximum. Average divisors
count the window elements inside the input, or with ``count_include_pad`` inside the explicitly
padded input; ceil-mode overhang never counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import SameTypeOp, known_rank, unknown_shape
from intq.ops.registry import REQUIRED, OpDef, register
from intq.ops.windows import (check_window_attrs, kernel_ones, kernel_zero_pads, output_sizes,
                              windows)


def _taps(view: np.ndarray, rank: int) -> list[np.ndarray]:
    """The view's slices for each kernel offset, in row-major kernel order."""
    kernel = view.shape[view.ndim - rank:]
    return [view[(Ellipsis, *offset)] for offset in np.ndindex(*kernel)]


def _lowest(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


class WindowPool(OpDef):
    """Shared geometry and shape rule of the windowed pools."""

    def view(self, x: np.ndarray, attrs: dict[str, Any], fill: Any) -> np.ndarray:
        check_window_attrs(self.op_type, attrs, x.ndim - 2)
        out = output_sizes(x.shape[2:], attrs, bool(attrs["ceil_mode"]))
        return windows(x, attrs["kernel_shape"], attrs["strides"], attrs["dilations"],
                       attrs["pads"][:x.ndim - 2], out, fill)

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [unknown_shape(x.dtype), unknown_shape("int64")][:self.num_outputs]
        check_window_attrs(self.op_type, attrs, len(x.shape) - 2)
        shape = (*x.shape[:2], *output_sizes(x.shape[2:], attrs, bool(attrs["ceil_mode"])))
        return [TensorType(shape, x.dtype), TensorType(shape, "int64")][:self.num_outputs]


@register
class MaxPool(WindowPool):
    """Max over windows. The second output (Indices, optional in a node) holds each maximum's
    flat position in X: row-major, or column-major over the spatial axes with
    ``storage_order=1``. Padding holds the dtype's lowest value (-inf, or the integer
    minimum), which can tie with the maximum; indices then point at the first tie inside X."""

    op_type = "MaxPool"
    attrs = {"kernel_shape": REQUIRED, "strides": kernel_ones, "dilations": kernel_ones,
             "pads": kernel_zero_pads, "ceil_mode": 0, "storage_order": 0}
    num_outputs = 2

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        best, taps = self._maxima(attrs, x)
        inside = _taps(self.view(np.ones((1, 1, *x.shape[2:]), dtype=bool), attrs, False),
                       x.ndim - 2)
        first = np.full(best.shape, len(taps) - 1, dtype=np.int32)
        for index in range(len(taps) - 2, -1, -1):
            hit = (taps[index] == best) & inside[index]
            first = np.where(hit, np.int32(index), first)
        return [best, _flat_indices(first, x.shape, attrs)]

    def evaluate_first(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        """The maxima alone, for nodes whose Indices output is omitted (the executors call
        it then: finding the indices costs several times the maxima)."""
        return [self._maxima(attrs, x)[0]]

    def _maxima(self, attrs: dict[str, Any], x: np.ndarray
                ) -> tuple[np.ndarray, list[np.ndarray]]:
        view = self.view(x, attrs, _lowest(x.dtype))
        taps = _taps(view, x.ndim - 2)
        best = taps[0].copy()
        for tap in taps[1:]:
            np.maximum(best, tap, out=best)
        return best, taps


def _flat_indices(best_tap: np.ndarray, x_shape: Sequence[int], attrs: dict[str, Any]
                  ) -> np.ndarray:
    """Turn per-window kernel tap numbers into flat positions in X."""
    n, c, *spatial = x_shape
    rank = len(spatial)
    out = best_tap.shape[2:]
    offsets = np.unravel_index(best_tap, attrs["kernel_shape"])
    grid = np.meshgrid(*(np.arange(o) for o in out), indexing="ij")
    coords = [g * s + k * d - b for g, s, k, d, b in
              zip(grid, attrs["strides"], offsets, attrs["dilations"], attrs["pads"][:rank])]
    order = "F" if attrs["storage_order"] else "C"
    flat = np.ravel_multi_index(coords, spatial, order=order)
    plane = np.arange(n * c, dtype=np.int64).reshape(n, c, *([1] * rank))
    return plane * int(np.prod(spatial)) + flat


@register
class AveragePool(WindowPool):
    op_type = "AveragePool"
    attrs = {"kernel_shape": REQUIRED, "strides": kernel_ones, "dilations": kernel_ones,
             "pads": kernel_zero_pads, "ceil_mode": 0, "count_include_pad": 0}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        rank = x.ndim - 2
        total = sum(_taps(self.view(x, attrs, x.dtype.type(0)), rank))
        ones = np.ones((1, 1, *x.shape[2:]), dtype=x.dtype)
        begins = attrs["pads"][:rank]
        if attrs["count_include_pad"]:
            ends = attrs["pads"][rank:]
            ones = np.pad(ones, [(0, 0), (0, 0), *zip(begins, ends)], constant_values=1)
            begins = [0] * rank
        inside = windows(ones, attrs["kernel_shape"], attrs["strides"], attrs["dilations"],
                         begins, total.shape[2:], x.dtype.type(0))
        return [(total / sum(_taps(inside, rank))).astype(x.dtype, copy=False)]


class GlobalPool(SameTypeOp):
    """Reduce all spatial axes to size 1."""

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [x]
        return [TensorType((*x.shape[:2], *([1] * (len(x.shape) - 2))), x.dtype)]


@register
class GlobalAveragePool(GlobalPool):
    op_type = "GlobalAveragePool"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [x.mean(axis=tuple(range(2, x.ndim)), keepdims=True, dtype=x.dtype)]


@register
class GlobalMaxPool(GlobalPool):
    op_type = "GlobalMaxPool"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [x.max(axis=tuple(range(2, x.ndim)), keepdims=True)]
