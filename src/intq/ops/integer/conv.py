"""IntConv: exact integer convolution, Conv's geometry with an accumulator output.

The reference gathers windows (im2col) and multiplies in int64. The fast path gathers the
windows straight into float32 or float64 and runs one BLAS matmul, which ``exact_float``
shows is exact whenever ``max|x| * sum|w| + |b|`` of every output channel fits the float's
integer range; it checks that on the operands and otherwise runs the reference. Depthwise
convolution (one input channel per group) accumulates one kernel tap at a time instead, in
int32 on the fast path when the bound allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import (IntegerOp, Kernel, acc_dtype, guard_int64, max_abs,
                                   needs_range, to_accumulator)
from intq.ops.integer.conv_kernel import ConvKernel
from intq.ops.integer.exact_float import exact_float_dtype, row_abs_sum_max
from intq.ops.integer.ranges import IntRange, dot_range, product, scaled
from intq.ops.integer.requantize import fused_rescale
from intq.ops.registry import REQUIRED, get_op, register
from intq.ops.windows import (check_window_attrs, kernel_ones, kernel_zero_pads, output_sizes,
                              windows)

INT32_MAX = (1 << 31) - 1


def int_conv(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, attrs: dict[str, Any],
             dtype: np.dtype) -> np.ndarray:
    """Grouped N-D convolution plus bias, computed in ``dtype`` (exact by the caller's check:
    every partial sum, bias included, within the dtype's integer range).

    Windows of the whole batch are gathered into one ``taps x (batch * positions)`` matrix per
    group (converted to ``dtype`` in the same pass, with a row of ones that meets the bias),
    so each group is one large matmul, which BLAS threads well; the result is then a view in
    N x M x spatial order. 1x1 kernels without padding need no gathering.
    """
    check_window_attrs("IntConv", attrs, x.ndim - 2)
    kernel = attrs["kernel_shape"]
    rank = len(kernel)
    groups = attrs["group"]
    n, c = x.shape[:2]
    m = w.shape[0]
    if c % groups or m % groups or w.shape[1] * groups != c or list(w.shape[2:]) != kernel:
        raise ValueError(f"IntConv weight {w.shape} does not fit {c} input channels in "
                         f"{groups} groups with kernel {kernel}")
    out = output_sizes(x.shape[2:], attrs)
    cg, mg = c // groups, m // groups
    bias = None if b is None else b.astype(dtype).reshape(groups, mg, 1)
    if math.prod(kernel) == 1 and not any(attrs["pads"]):
        picked = x[(..., *(slice(None, None, s) for s in attrs["strides"]))]
        cols = picked.reshape(n, groups, cg, -1).astype(dtype)
        y = np.matmul(w.reshape(groups, mg, cg).astype(dtype), cols)
        return (y if bias is None else _plus(y, bias)).reshape(n, m, *out)
    view = windows(x, kernel, attrs["strides"], attrs["dilations"], attrs["pads"][:rank], out,
                   x.dtype.type(0))
    view = view.reshape(n, groups, cg, *out, *kernel)
    if cg == 1:
        y = _depthwise(view, w.reshape(groups, mg, -1).astype(dtype), out, kernel, dtype)
        return y if bias is None else _plus(y, bias.reshape(m, *([1] * rank)))
    taps = cg * math.prod(kernel)
    cols = np.empty((groups, taps + (bias is not None), n * math.prod(out)), dtype=dtype)
    gathered = cols[:, :taps].reshape(groups, cg, *kernel, n, *out)
    gathered[...] = view.transpose(1, 2, *range(3 + rank, 3 + 2 * rank), 0, *range(3, 3 + rank))
    weights = w.reshape(groups, mg, taps).astype(dtype)
    if bias is not None:
        cols[:, taps] = 1
        weights = np.concatenate([weights, bias], axis=2)
    return np.matmul(weights, cols).reshape(m, n, *out).swapaxes(0, 1)


def _plus(y: np.ndarray, bias: np.ndarray) -> np.ndarray:
    y += bias
    return y


def _depthwise(view: np.ndarray, w: np.ndarray, out: Sequence[int], kernel: Sequence[int],
               dtype: np.dtype) -> np.ndarray:
    n, groups = view.shape[:2]
    mg = w.shape[1]
    rank = len(kernel)
    acc = np.zeros((n, groups, mg, *out), dtype=dtype)
    for tap, offset in enumerate(np.ndindex(*kernel)):
        inputs = view[(slice(None), slice(None), 0, *([slice(None)] * rank), *offset)]
        acc += inputs[:, :, None] * w[:, :, tap].reshape(groups, mg, *([1] * rank))
    return acc.reshape(n, groups * mg, *out)


@register
class IntConv(IntegerOp):
    """``y = sum x * w + b`` exactly, with Conv's window semantics (zero padding is exact
    because the zero point is 0).

    Inputs: ``x`` (int, N x C x spatial), ``w`` (int8 constant, M x C/group x kernel),
    ``b`` (optional int32/int64 constant, M). Attributes:
    - ``kernel_shape`` (list of int, required), ``strides``, ``dilations`` (lists of int,
      default ones), ``pads`` (list of int, begins then ends, default zeros), ``group`` (int,
      default 1): as in Conv;
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output, int32 or
      int64, chosen by the quantizer from the overflow proof.
    """

    op_type = "IntConv"
    attrs = {"kernel_shape": REQUIRED, "strides": kernel_ones, "dilations": kernel_ones,
             "pads": kernel_zero_pads, "group": 1, "acc_bits": 32}
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray,
                 b: np.ndarray | None = None) -> list[np.ndarray]:
        guard_int64(_bound(x, w, b), "IntConv")
        y = int_conv(x, w, b, attrs, np.dtype(np.int64))
        return [to_accumulator(np.ascontiguousarray(y), attrs)]

    def evaluate_fast(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray,
                      b: np.ndarray | None = None) -> list[np.ndarray]:
        total = _bound(x, w, b)
        if w.ndim > 1 and w.shape[1] == 1:
            dtype = np.dtype(np.int32) if total <= INT32_MAX else None
        else:
            dtype = exact_float_dtype(total)
        if dtype is None:
            return self.evaluate(attrs, x, w, b)
        narrow = acc_dtype(attrs) == np.int32 and total <= INT32_MAX
        y = int_conv(x, w, b, attrs, dtype)
        return [to_accumulator(np.ascontiguousarray(y, np.int32 if narrow else np.int64), attrs,
                               total)]

    def prepare_fast(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None]
                     ) -> Kernel | None:
        return _conv_kernel(self, attrs, consts)

    def prepare_fused(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None],
                      then: str, then_attrs: dict[str, Any],
                      then_consts: Sequence[np.ndarray | None]) -> Kernel | None:
        fused = fused_rescale(then, then_attrs, then_consts)
        kernel = _conv_kernel(self, attrs, consts) if fused is not None else None
        if kernel is None:
            return None
        rescale, unfused = fused
        ndim = kernel.rank + 2
        axis = then_attrs["axis"]
        if rescale.channels > 1 and (rescale.channels != kernel.channels
                                     or not -ndim <= axis < ndim or axis % ndim != 1):
            return None
        return kernel.fused(rescale, unfused)

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        shape = get_op("Conv").infer(attrs, types[:2], consts[:2])[0].shape
        return [TensorType(shape, acc_dtype(attrs).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        x = needs_range(ranges, 0, "IntConv input x").hull()
        axis = -(len(attrs["kernel_shape"]) + 1)
        w = consts[1]
        if w is None:
            taps = math.prod(attrs["kernel_shape"]) * _in_per_group(types, attrs)
            acc = scaled(product(x, needs_range(ranges, 1, "IntConv weight")), taps)
            lo, hi = [acc.low], [acc.high]
        else:
            lo, hi = dot_range(w.reshape(w.shape[0], -1), x)
        return [with_bias(lo, hi, ranges, consts, axis)]


def _conv_kernel(op: IntConv, attrs: dict[str, Any], consts: Sequence[np.ndarray | None]
                 ) -> ConvKernel | None:
    """A ``ConvKernel`` when the weight (and the bias, if any) are constants."""
    w = consts[1] if len(consts) > 1 else None
    b = consts[2] if len(consts) > 2 else None
    if w is None or (len(consts) > 2 and b is None) or len(consts) > 3:
        return None
    try:
        return ConvKernel(attrs, w, b, lambda *args: op.evaluate_fast(attrs, *args))
    except (ValueError, TypeError, KeyError):
        return None


def _bound(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> int:
    """``max|x| * max_c sum|w_c| + max|b|``: bounds every partial sum of this data."""
    total = max_abs(x) * row_abs_sum_max(w.reshape(w.shape[0], -1), 1)
    return total + (max_abs(b) if b is not None else 0)


def _in_per_group(types: Sequence[TensorType | None], attrs: dict[str, Any]) -> int:
    w = types[1]
    if w is None or w.shape is None or not isinstance(w.shape[1], int):
        raise ValueError("a non-constant IntConv weight needs a static shape to be bounded")
    return w.shape[1]


def with_bias(lo: list[int], hi: list[int], ranges: Sequence[IntRange | None],
              consts: Sequence[np.ndarray | None], axis: int) -> IntRange:
    """Per-channel accumulator range plus the optional bias (input 2): exact per channel for
    a constant bias, its whole range otherwise."""
    bias = consts[2] if len(consts) > 2 else None
    if bias is not None and bias.size in (1, len(lo)):
        values = np.broadcast_to(bias.reshape(-1), (len(lo),)).tolist()
        lo = [v + int(d) for v, d in zip(lo, values)]
        hi = [v + int(d) for v, d in zip(hi, values)]
    elif len(ranges) > 2 and ranges[2] is not None:
        lo = [v + ranges[2].low for v in lo]
        hi = [v + ranges[2].high for v in hi]
    return IntRange.per_channel(lo, hi, axis)
