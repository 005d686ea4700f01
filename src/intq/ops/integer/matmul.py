"""IntMatMul: exact batched integer matmul plus an optional bias, an accumulator output.

MatMul's NumPy semantics (broadcast batches, 1-D operands promoted and squeezed). The reference
multiplies in int64; the fast path converts to float32/float64 and runs BLAS when
``max|a| * max_j sum_k |b[k, j]|`` shows every partial sum is exact (see ``exact_float``), with
a 2-D right operand flattened into one large GEMM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer import jit
from intq.ops.integer.base import (IntegerOp, Kernel, acc_dtype, check_length, guard_int64,
                                   max_abs, needs_range, to_accumulator)
from intq.ops.integer.conv import INT32_MAX, with_bias
from intq.ops.integer.conv_kernel import dtype_max_abs
from intq.ops.integer.exact_float import exact_float_dtype, row_abs_sum_max
from intq.ops.integer.ranges import IntRange, dot_range, product, scaled
from intq.ops.integer.requantize import Rescale, fused_rescale
from intq.ops.integer.scratch import scratch
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
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output;
    - ``max_length`` (int, default 0): for two variable operands whose inner dimension is
      symbolic, the longest inner dimension the overflow proof covers (checked when run);
      0 when it is static.
    """

    op_type = "IntMatMul"
    attrs = {"acc_bits": 32, "max_length": 0}
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray,
                 bias: np.ndarray | None = None) -> list[np.ndarray]:
        check_length(a.shape[-1], attrs, "IntMatMul")
        bound = max_abs(a) * row_abs_sum_max(b, -2 if b.ndim > 1 else 0)
        guard_int64(bound + (max_abs(bias) if bias is not None else 0), "IntMatMul")
        y = np.asarray(np.matmul(a.astype(np.int64), b.astype(np.int64)))
        return [to_accumulator(_add_bias(y, bias), attrs)]

    def evaluate_fast(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray,
                      bias: np.ndarray | None = None) -> list[np.ndarray]:
        check_length(a.shape[-1], attrs, "IntMatMul")
        bound = max_abs(a) * row_abs_sum_max(b, -2 if b.ndim > 1 else 0)
        dtype = exact_float_dtype(bound)
        if dtype is None:
            return self.evaluate(attrs, a, b, bias)
        total = bound + (max_abs(bias) if bias is not None else 0)
        narrow = acc_dtype(attrs) == np.int32 and total <= INT32_MAX
        y = _float_matmul(a, b, dtype).astype(np.int32 if narrow else np.int64)
        return [to_accumulator(_add_bias(y, bias), attrs, total)]

    def prepare_fast(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None]
                     ) -> Kernel | None:
        return _matmul_kernel(self, attrs, consts)

    def prepare_fused(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None],
                      then: str, then_attrs: dict[str, Any],
                      then_consts: Sequence[np.ndarray | None]) -> Kernel | None:
        fused = fused_rescale(then, then_attrs, then_consts)
        kernel = _matmul_kernel(self, attrs, consts) if fused is not None else None
        if kernel is None:
            return None
        rescale, unfused = fused
        if rescale.channels not in (1, kernel.columns):
            return None
        return kernel.fused(rescale, then_attrs["axis"], unfused)

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
            acc = scaled(product(ra, rb), _inner_size(types, attrs))
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


def _inner_size(types: Sequence[TensorType | None], attrs: dict[str, Any]) -> int:
    a = types[0]
    k = a.shape[-1] if a is not None and a.shape else None
    if isinstance(k, int):
        return k
    if attrs.get("max_length"):
        return int(attrs["max_length"])
    raise ValueError("IntMatMul of two variable operands needs a static inner dimension "
                     "(or a max_length) to be bounded")


def _matmul_kernel(op: IntMatMul, attrs: dict[str, Any], consts: Sequence[np.ndarray | None]
                   ) -> MatMulKernel | None:
    """A ``MatMulKernel`` when ``b`` is a constant matrix and the bias, if any, a constant
    vector of one entry per column."""
    b = consts[1] if len(consts) > 1 else None
    bias = consts[2] if len(consts) > 2 else None
    if (b is None or consts[0] is not None or len(consts) > 3 or (len(consts) > 2 and bias is None)
            or b.ndim != 2 or b.dtype.kind not in "iu"
            or (bias is not None and (bias.dtype.kind not in "iu" or bias.shape != b.shape[1:]))):
        return None
    acc_dtype(attrs)
    return MatMulKernel(attrs, b, bias, lambda *args: op.evaluate_fast(attrs, *args))


class MatMulKernel:
    """IntMatMul with a constant ``K x N`` right operand (and bias) for one node: the operand
    is cast and bounded once, the bias rides along as an extra row met by a column of ones,
    and the float dtype is picked from the input's dtype bound when that suffices (else
    from the data, as ``evaluate_fast`` does). ``fused`` applies a following Requantize to
    the float product directly (float64 or int64 rescale under the per-column bounds, see
    ``requantize.Rescale``); any other case runs the unfused ops."""

    def __init__(self, attrs: dict[str, Any], b: np.ndarray, bias: np.ndarray | None,
                 fallback: Callable[..., list[np.ndarray]]) -> None:
        self.attrs, self.b, self.bias, self.fallback = attrs, b, bias, fallback
        self.inner, self.columns = b.shape
        wide = b.astype(np.int64) if b.dtype.itemsize <= 4 else b.astype(object)
        self.col_abs = ([int(v) for v in np.abs(wide).sum(axis=0)] if b.size
                        else [0] * self.columns)
        self.bias_abs = [abs(int(v)) for v in bias] if bias is not None else [0] * self.columns
        self.col_max = max(self.col_abs, default=0)
        self.bias_max = max(self.bias_abs, default=0)
        self.narrow = acc_dtype(attrs) == np.int32
        self._weights: dict[np.dtype, np.ndarray] = {}

    def accepts(self, a: Any) -> bool:
        return (isinstance(a, np.ndarray) and a.dtype.kind in "iu" and a.ndim >= 2
                and a.shape[-1] == self.inner and a.size > 0)

    def _plan(self, a: np.ndarray) -> tuple[np.dtype, int, int] | None:
        """``(float dtype, max|a| used, total bound)`` or ``None``."""
        for x_max in (dtype_max_abs(a.dtype), None):
            if x_max is None:
                x_max = max_abs(a)
            total = x_max * self.col_max + self.bias_max
            dtype = exact_float_dtype(total)
            if dtype is not None:
                return dtype, x_max, total
        return None

    def _product(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        weights = self._weights.get(dtype)
        if weights is None:
            weights = self.b.astype(dtype)
            if self.bias is not None:
                weights = np.concatenate([weights, self.bias.astype(dtype).reshape(1, -1)])
            weights = self._weights[dtype] = np.ascontiguousarray(weights)
        rows = a.size // self.inner
        flat = scratch("matmul.rows", rows * weights.shape[0], dtype).reshape(
            rows, weights.shape[0])
        flat[:, :self.inner] = a.reshape(rows, self.inner)
        if self.bias is not None:
            flat[:, self.inner] = 1
        return (flat @ weights).reshape(*a.shape[:-1], self.columns)

    def __call__(self, a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        plan = self._plan(a) if self.accepts(a) else None
        if plan is None:
            return self.fallback(a, b, bias)
        dtype, _, total = plan
        narrow = self.narrow and total <= INT32_MAX
        y = self._product(a, dtype).astype(np.int32 if narrow else np.int64)
        return [to_accumulator(y, self.attrs, total)]

    def fused(self, rescale: Rescale, axis: int, then: Callable[[np.ndarray], list[np.ndarray]]
              ) -> Callable[..., list[np.ndarray]]:
        plans: dict[int, Any] = {}  # rescale plan per max|a| (dtype and total follow from it)

        def kernel(a: np.ndarray, b: np.ndarray, bias: np.ndarray | None = None
                   ) -> list[np.ndarray]:
            plan = self._plan(a) if self.accepts(a) else None
            ndim = a.ndim if isinstance(a, np.ndarray) else 0
            if plan is not None and (rescale.channels == 1 or (
                    -ndim <= axis < ndim and axis % ndim == ndim - 1)):
                dtype, x_max, total = plan
                how = plans.get(x_max, False)
                if how is False:
                    bounds = [x_max * c + bb for c, bb in zip(self.col_abs, self.bias_abs)]
                    how = (None if self.narrow and total > INT32_MAX
                           else rescale.plan(bounds, dtype))
                    if len(plans) > 256:
                        plans.clear()
                    plans[x_max] = how
                if how is not None:
                    out = np.empty((*a.shape[:-1], self.columns), dtype=rescale.dtype)
                    acc = self._product(a, dtype)
                    compiled = rescale.compiled(how, self.columns)
                    if compiled is not None:
                        jit.rescale_channels_last(acc.reshape(-1, self.columns), *compiled,
                                                  out.reshape(-1, self.columns))
                        return [out]
                    work = (scratch("matmul.work", acc.size, np.float64).reshape(acc.shape)
                            if how.in_float else None)
                    rescale.apply(acc, how, out, ndim, -1, work)
                    return [out]
            return then(self(a, b, bias)[0])

        return kernel
