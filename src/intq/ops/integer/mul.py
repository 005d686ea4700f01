"""IntMul: the exact elementwise product of two integer tensors, an accumulator output.

Its scale is the product of the input scales; a following ``Requantize`` brings it back to
an activation grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import (IntegerOp, acc_dtype, guard_int64, max_abs, needs_range,
                                   to_accumulator)
from intq.ops.integer.ranges import IntRange, product
from intq.ops.registry import broadcast_shapes, register


@register
class IntMul(IntegerOp):
    """``y = a * b`` exactly, broadcast like Mul.

    Inputs: ``a``, ``b`` (int; either may be a constant). Attributes:
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output.
    """

    op_type = "IntMul"
    attrs = {"acc_bits": 32}
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        guard_int64(max_abs(a) * max_abs(b), "IntMul")
        return [to_accumulator(np.asarray(np.multiply(a, b, dtype=np.int64)), attrs)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(broadcast_shapes(types[0].shape, types[1].shape),
                           acc_dtype(attrs).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        return [product(needs_range(ranges, 0, "IntMul input a").hull(),
                        needs_range(ranges, 1, "IntMul input b").hull())]
