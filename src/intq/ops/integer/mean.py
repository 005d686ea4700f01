"""IntMean: an exact integer mean over axes whose sizes are known only when the model runs.

A mean over static axes is a sum and one dyadic rescale that absorbs 1/N (``mean_to_sum``,
IntReduceSum, Requantize). Over a symbolic axis (a global average pool over an image of any
size, a mean over a sequence) 1/N is not a constant, so the division is an op: the exact
int64 sum, scaled by ``2^frac_bits`` and divided by the run-time count with one rounding,
half up. The result, on the grid ``scale(x) / 2^frac_bits``, lies in ``x``'s own range times
``2^frac_bits`` whatever the count (a mean never leaves its values' hull).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import known_rank, unknown_shape
from intq.ops.integer.base import (IntegerOp, acc_dtype, check_length, guard_int64, max_abs,
                                   needs_range, to_accumulator)
from intq.ops.integer.ranges import IntRange
from intq.ops.reduce import reduced_axes, reduced_shape
from intq.ops.registry import REQUIRED, register

INT62 = 1 << 62


@register
class IntMean(IntegerOp):
    """``y = round(2^frac_bits * sum(x over axes) / count)``, ``count`` the number of values
    each sum adds (read from ``x``'s shape when run), rounding half up.

    Inputs: ``x`` (int), ``axes`` (int64 constant; absent or empty means all axes).
    Attributes:
    - ``keepdims`` (int 0/1, default 1): as in ReduceMean;
    - ``frac_bits`` (int 0..24, default 0): fraction bits kept below the input's grid;
    - ``max_length`` (int, required > 0): the most values one sum may add, which bounds the
      int64 sum in the overflow proof (checked when run);
    - ``acc_bits`` (int 32 or 64, default 32): the output dtype.
    """

    op_type = "IntMean"
    attrs = {"keepdims": 1, "frac_bits": 0, "max_length": REQUIRED, "acc_bits": 32}
    shape_inputs = (1,)
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axes: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        reduce = reduced_axes(axes, x.ndim, 0)
        count = math.prod(x.shape[a] for a in reduce)
        check_length(count, attrs, "IntMean")
        if count == 0:
            raise ValueError("IntMean of an empty axis has no value")
        frac = int(attrs["frac_bits"])
        guard_int64(max_abs(x) * count << (frac + 1), "IntMean")
        total = x.sum(axis=reduce, keepdims=bool(attrs["keepdims"]), dtype=np.int64)
        mean = np.floor_divide((total << (frac + 1)) + count, 2 * count)
        return [to_accumulator(np.asarray(mean, dtype=np.int64), attrs)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        dtype = acc_dtype(attrs).name
        if not known_rank(x) or (len(types) > 1 and types[1] is not None and consts[1] is None):
            return [unknown_shape(dtype)]
        reduce = reduced_axes(consts[1] if len(consts) > 1 else None, len(x.shape), 0)
        return [TensorType(reduced_shape(x.shape, reduce, attrs["keepdims"]), dtype)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        x = needs_range(ranges, 0, "IntMean input x").hull()
        frac = int(attrs["frac_bits"])
        if not 0 <= frac <= 24:
            raise ValueError(f"IntMean frac_bits {frac} is outside 0..24")
        limit = int(attrs["max_length"])
        if limit <= 0 or x.magnitude() * limit << (frac + 1) >= INT62:
            raise ValueError(f"IntMean sums of up to {limit} values of magnitude "
                             f"{x.magnitude()} scaled by 2^{frac + 1} may pass 2^62")
        return [IntRange.of(x.low << frac, x.high << frac)]
