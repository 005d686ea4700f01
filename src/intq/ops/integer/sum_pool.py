"""IntSumPool: the window sums of AveragePool; the divisor is folded into the next Requantize.

Only windows with a constant divisor are lowered to it (``count_include_pad`` semantics, no
ceil-mode overhang), so the sum over zero-padded windows times ``1 / kernel size`` is exactly
the average. Sums run one kernel tap at a time, in int32 when the window bound allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import known_rank, unknown_shape
from intq.ops.integer.base import (IntegerOp, acc_dtype, guard_int64, max_abs, needs_range,
                                   to_accumulator)
from intq.ops.integer.conv import INT32_MAX
from intq.ops.integer.ranges import IntRange, scaled
from intq.ops.registry import REQUIRED, register
from intq.ops.windows import (check_window_attrs, kernel_ones, kernel_zero_pads, output_sizes,
                              windows)


def window_sum(x: np.ndarray, attrs: dict[str, Any], dtype: np.dtype) -> np.ndarray:
    """Sum of every zero-padded window of ``x``, accumulated in ``dtype``."""
    rank = x.ndim - 2
    check_window_attrs("IntSumPool", attrs, rank)
    kernel = attrs["kernel_shape"]
    out = output_sizes(x.shape[2:], attrs)
    view = windows(x, kernel, attrs["strides"], attrs["dilations"], attrs["pads"][:rank], out,
                   x.dtype.type(0))
    total = np.zeros((*x.shape[:2], *out), dtype=dtype)
    for offset in np.ndindex(*kernel):
        total += view[(Ellipsis, *offset)]
    return total


@register
class IntSumPool(IntegerOp):
    """``y = sum of x over each window`` with zero padding (AveragePool's numerator).

    Inputs: ``x`` (int, N x C x spatial). Attributes:
    - ``kernel_shape`` (list of int, required), ``strides``, ``dilations`` (lists of int,
      default ones), ``pads`` (list of int, begins then ends, default zeros): as in
      AveragePool without ceil mode;
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output.
    """

    op_type = "IntSumPool"
    attrs = {"kernel_shape": REQUIRED, "strides": kernel_ones, "dilations": kernel_ones,
             "pads": kernel_zero_pads, "acc_bits": 32}
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        guard_int64(max_abs(x) * math.prod(attrs["kernel_shape"]), "IntSumPool")
        return [to_accumulator(window_sum(x, attrs, np.dtype(np.int64)), attrs)]

    def evaluate_fast(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        bound = max_abs(x) * math.prod(attrs["kernel_shape"])
        if bound > INT32_MAX:
            return self.evaluate(attrs, x)
        return [window_sum(x, attrs, np.dtype(np.int32)).astype(acc_dtype(attrs), copy=False)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        dtype = acc_dtype(attrs).name
        if not known_rank(x):
            return [unknown_shape(dtype)]
        check_window_attrs("IntSumPool", attrs, len(x.shape) - 2)
        return [TensorType((*x.shape[:2], *output_sizes(x.shape[2:], attrs)), dtype)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        x = needs_range(ranges, 0, "IntSumPool input x").hull()
        return [scaled(x, math.prod(attrs["kernel_shape"]))]
