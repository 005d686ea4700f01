"""IntCumSum: an exact running sum along one axis (the accumulator of a CumSum)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import normalize_axis
from intq.ops.integer.base import (IntegerOp, acc_dtype, guard_int64, max_abs, needs_range,
                                   to_accumulator)
from intq.ops.integer.ranges import IntRange, scaled
from intq.ops.reduce import CumSum
from intq.ops.registry import register

_CUMSUM = CumSum()


@register
class IntCumSum(IntegerOp):
    """``y = running sum of x along axis`` exactly, with CumSum's options.

    Inputs: ``x`` (int), ``axis`` (int64 constant, one value). Attributes:
    - ``exclusive`` (int 0/1, default 0), ``reverse`` (int 0/1, default 0): as in CumSum;
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output.
    Every partial sum holds at most ``n`` inputs (``n`` the axis length), which bounds it.
    """

    op_type = "IntCumSum"
    attrs = {"exclusive": 0, "reverse": 0, "acc_bits": 32}
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axis: np.ndarray
                 ) -> list[np.ndarray]:
        a = normalize_axis(int(np.asarray(axis).reshape(-1)[0]), x.ndim, "IntCumSum axis")
        guard_int64(max_abs(x) * x.shape[a], "IntCumSum")
        total = _CUMSUM.evaluate(attrs, x.astype(np.int64), axis)[0]
        return [to_accumulator(total, attrs)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, acc_dtype(attrs).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        x = needs_range(ranges, 0, "IntCumSum input x").hull()
        t, axis = types[0], consts[1] if len(consts) > 1 else None
        length = static_length(t.shape if t else None, axis)
        if length is None:
            raise ValueError("IntCumSum needs a constant axis of static length to be bounded")
        return [scaled(x, length)]


def static_length(shape: tuple | None, axis: np.ndarray | None) -> int | None:
    """The summed axis's length when the shape and the axis say it, else ``None``."""
    if shape is None or axis is None or np.asarray(axis).size != 1:
        return None
    a = int(np.asarray(axis).reshape(-1)[0])
    if not -len(shape) <= a < len(shape):
        return None
    n = shape[a]
    return n if isinstance(n, int) else None
