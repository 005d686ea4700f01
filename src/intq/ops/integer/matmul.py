"""IntMatMul: exact batched integer matmul plus an optional bias, an accumulator output.

MatMul's NumPy semantics (broadcast batches, 1-D operands promoted and squeezed). The reference
multiplies in int64; the fast path converts to float32/float64 and runs BLAS when
``max|a| * max_j sum_k |b[k, j]|`` shows every partial sum is exact (see ``exact_float``), with
a 2-D right operand flattened into one large GEMM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import (IntegerOp, acc_dtype, guard_int64, max_abs, needs_range,
                                   to_accumulator)
from intq.ops.integer.conv import INT32_MAX, with_bias
from intq.ops.integer.exact_float import exact_float_dtype, row_abs_sum_max
from intq.ops.integer.ranges import IntRange, dot_range, product, scaled
from intq.ops.registry import get_op, register


def _float_matmul(a: np.ndarray, b: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if b.ndim == 2 and a.ndim > 2:
        flat = a.reshape(-1, a.shape[-1]).astype(dtype)
        return (flat @ b.astype(dtype)).reshape(*a.shape[:-1], b.shape[-1])
    return np.asarray(np.matmul(a.astype(dtype), b.astype(dtype)))


def _add_bias(y: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    if bias is None:
        return y
    return y + bias.astype(y.dtype)


@register
class IntMatMul(IntegerOp):
    """``y = a @ b + bias`` exactly (NumPy ``matmul`` semantics, bias broadcast like Add).

    Inputs: ``a`` (int), ``b`` (int; either operand may be a constant, typically ``b`` the
    int8 weight K x N), ``bias`` (optional int32/int64, usually a constant of shape N).
    Attributes:
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output.
    """

    op_type = "IntMatMul"
    attrs = {"acc_bits": 32}
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray,
                 bias: np.ndarray | None = None) -> list[np.ndarray]:
        bound = max_abs(a) * row_abs_sum_max(b, -2 if b.ndim > 1 else 0)
        guard_int64(bound + (max_abs(bias) if bias is not None else 0), "IntMatMul")
        y = np.asarray(np.matmul(a.astype(np.int64), b.astype(np.int64)))
        return [to_accumulator(_add_bias(y, bias), attrs)]

    def evaluate_fast(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray,
                      bias: np.ndarray | None = None) -> list[np.ndarray]:
        bound = max_abs(a) * row_abs_sum_max(b, -2 if b.ndim > 1 else 0)
        dtype = exact_float_dtype(bound)
        if dtype is None:
            return self.evaluate(attrs, a, b, bias)
        total = bound + (max_abs(bias) if bias is not None else 0)
        narrow = acc_dtype(attrs) == np.int32 and total <= INT32_MAX
        y = _float_matmul(a, b, dtype).astype(np.int32 if narrow else np.int64)
        return [to_accumulator(_add_bias(y, bias), attrs, total)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        shape = get_op("MatMul").infer({}, types[:2], consts[:2])[0].shape
        if len(types) > 2 and types[2] is not None and shape is not None:
            shape = get_op("Add").infer({}, [TensorType(shape, "int64"), types[2]], [None] * 2
                                        )[0].shape
        return [TensorType(shape, acc_dtype(attrs).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        a, b = consts[0], consts[1]
        if b is not None:
            lo, hi = _column_ranges(b, needs_range(ranges, 0, "IntMatMul input a").hull())
        elif a is not None:
            rows = a.reshape(-1, a.shape[-1])
            row_lo, row_hi = dot_range(rows, needs_range(ranges, 1, "IntMatMul input b").hull())
            lo, hi = [min(row_lo)], [max(row_hi)]
        else:
            ra = needs_range(ranges, 0, "IntMatMul input a").hull()
            rb = needs_range(ranges, 1, "IntMatMul input b").hull()
            acc = scaled(product(ra, rb), _inner_size(types))
            lo, hi = [acc.low], [acc.high]
        return [with_bias(lo, hi, ranges, consts, -1)]


def _column_ranges(b: np.ndarray, a: IntRange) -> tuple[list[int], list[int]]:
    """Per output column, the extremes of ``a_row . b[..., :, j]`` over every batch of ``b``."""
    if b.ndim == 1:
        return dot_range(b.reshape(1, -1), a)
    columns = np.moveaxis(b, -1, -2).reshape(-1, b.shape[-2])
    lo, hi = dot_range(columns, a)
    n = b.shape[-1]
    return ([min(lo[j::n]) for j in range(n)], [max(hi[j::n]) for j in range(n)])


def _inner_size(types: Sequence[TensorType | None]) -> int:
    a = types[0]
    k = a.shape[-1] if a is not None and a.shape else None
    if not isinstance(k, int):
        raise ValueError("IntMatMul of two variable operands needs a static inner dimension "
                         "to be bounded")
    return k
