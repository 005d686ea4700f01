"""intq's integer primitives written as int64 ONNX ops that ONNX Runtime computes exactly.

ONNX has no arithmetic right shift (``BitShift`` is unsigned only) and its integer ``Div``
truncates toward zero, so ``floor(x / 2^k)`` is ``(x - r) / 2^k`` with ``r = Mod(x, 2^k)``
(``fmod=0``: the remainder takes the divisor's sign, so ``0 <= r < 2^k``): an exact division.

Only int64 kernels that are plain C++ integer arithmetic are used: Add, Sub, Mul, Div, Mod,
Neg, Abs, the comparisons, Where, Gather, MatMul, and ReduceSum below 2^53. ONNX Runtime's
int64 Max, Min, Clip, ReduceMax and ReduceMin give wrong results for magnitudes beyond 2^31
(AVX2 builds), and its int64 ReduceSum accumulates in double (inexact beyond 2^53): minimum,
maximum and clamp are ``Where(Less(...))`` here, maxima over an axis run in int32 or float64
when the proven bound allows it, and sums that may pass 2^53 add 32-bit halves separately.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder

POW2 = np.array([1 << i for i in range(63)], dtype=np.int64)
"""``2^i`` for every shift 0..62, gathered when a shift varies per element."""

HALF = POW2 >> 1
"""``2^(i-1)`` (0 for i = 0): the rounding offset of a shift by ``i``."""

SQRT_STEPS = 6
"""Newton steps of ``i_sqrt`` from ``2^ceil(b/2)``: relative error 1, 1/4, 2^-5, 2^-11, 2^-23,
2^-47 after steps 0..5, so for roots below 2^32 step 5 leaves the floor root or one above it
and step 6 the floor root; extra steps would not change it (the kernel stops at a fixed point)."""


def int64(b: OnnxBuilder, x: str) -> str:
    return b.cast(x, "int64")


def along_axis(values: np.ndarray, axis: int, rank: int | None) -> np.ndarray:
    """A 1-D constant shaped ``[C, 1, ..., 1]`` to broadcast along ``axis`` of a rank-``rank``
    tensor (``rank`` may be ``None`` for a negative axis); one value stays a scalar."""
    values = np.asarray(values).reshape(-1)
    if values.size == 1:
        return values.reshape(())
    trailing = -axis - 1 if axis < 0 else rank - axis - 1
    return values.reshape(-1, *([1] * trailing))


def reduce(b: OnnxBuilder, op_type: str, x: str, axes: list[int], keepdims: int = 1) -> str:
    """A Reduce* node in the builder's opset (axes: an attribute before 18, except ReduceSum)."""
    if op_type == "ReduceSum" or b.opset >= 18:
        return b.op(op_type, [x, b.const(axes, "int64", "axes")], keepdims=keepdims)
    return b.op(op_type, [x], axes=axes, keepdims=keepdims)


def floor_pow2(b: OnnxBuilder, x: str, divisor: str) -> str:
    """``floor(x / divisor)`` for a positive power-of-two (or any positive) int64 divisor."""
    remainder = b.op("Mod", [x, divisor], hint="rem", fmod=0)
    return b.op("Div", [b.op("Sub", [x, remainder]), divisor], hint="floor")


def round_shift(b: OnnxBuilder, x: str, k: np.ndarray | int) -> str:
    """``floor((x + 2^(k-1)) / 2^k)``, intq's one rounding rule, for constant shifts ``k``
    (a scalar or an array that broadcasts against ``x``, e.g. per channel). ``|x| <= 2^62``
    (the overflow proof's bound on ``acc * m``) keeps the literal ``x + 2^(k-1)`` in int64."""
    k = np.asarray(k, dtype=np.int64)
    if not k.any():
        return x
    if k.min() < 0 or k.max() > 62:
        raise b.unsupported(f"shift {int(k.min())}..{int(k.max())} is outside 0..62")
    shifted = b.op("Add", [x, b.const(HALF[k], hint="half")])
    return floor_pow2(b, shifted, b.const(POW2[k], hint="pow2"))


def round_shift_by(b: OnnxBuilder, x: str, k: str) -> str:
    """``round_shift`` with a per-element int64 shift tensor ``k`` (0..62)."""
    half = b.op("Gather", [b.const(HALF, hint="halves"), k], hint="half")
    divisor = b.op("Gather", [b.const(POW2, hint="powers"), k], hint="pow2")
    return floor_pow2(b, b.op("Add", [x, half]), divisor)


def shift_left_by(b: OnnxBuilder, x: str, k: str) -> str:
    """``x << k`` for a per-element int64 shift tensor ``k`` (0..62)."""
    return b.op("Mul", [x, b.op("Gather", [b.const(POW2, hint="powers"), k], hint="pow2")])


def minimum(b: OnnxBuilder, x: str, y: str) -> str:
    """Elementwise ``min(x, y)`` of integers, broadcasting."""
    return b.op("Where", [b.op("Less", [x, y], "bool"), x, y], b.dtype(x), "min")


def maximum(b: OnnxBuilder, x: str, y: str) -> str:
    """Elementwise ``max(x, y)`` of integers, broadcasting."""
    return b.op("Where", [b.op("Less", [x, y], "bool"), y, x], b.dtype(x), "max")


def clamp_cast(b: OnnxBuilder, x: str, lo: int, hi: int, dtype: str) -> str:
    """Saturate int64 ``x`` to ``[lo, hi]`` and store it as ``dtype``."""
    clipped = maximum(b, minimum(b, x, b.const(hi, "int64", "hi")), b.const(lo, "int64", "lo"))
    return b.cast(clipped, dtype)


def reduce_max(b: OnnxBuilder, x: str, axes: list[int], bound: int) -> str:
    """``ReduceMax`` (keepdims) of int64 ``x`` whose values are proven within ``[-bound,
    bound]``: computed in int32 or float64, whichever holds every value exactly."""
    if bound < 1 << 31:
        dtype = "int32"
    elif bound <= 1 << 53:
        dtype = "float64"
    else:
        raise b.unsupported(f"a maximum over values up to {bound} (beyond 2^53) has no exact "
                            "ONNX Runtime kernel")
    return b.cast(reduce(b, "ReduceMax", b.cast(x, dtype), axes), "int64")


def reduce_sum(b: OnnxBuilder, x: str, axes: list[int] | None, keepdims: int, count: int | None,
               bound: int) -> str:
    """Exact ReduceSum of int32/int64 ``x`` (``axes=None``: all) with ``|x| <= bound`` over
    ``count`` values per sum (``None``: unknown, a symbolic axis). ONNX Runtime's int64
    ReduceSum is exact while every partial sum stays below 2^53; beyond that each value is
    split into 32-bit halves, ``x = hi * 2^32 + lo`` with ``0 <= lo < 2^32``, whose sums stay
    below 2^53 for fewer than 2^21 values, and recombined in int64.

    An unknown count gets the form exact for the longest sums: the plain sum when ``bound <
    2^32`` (exact up to ``2^53 / bound`` values, at least 2^21), else the halves (up to 2^21
    values); ``REDUCE_SUM_LIMIT`` documents the smallest such length (docs/EXPORT.md)."""
    def plain(t: str) -> str:
        inputs = [t] if axes is None else [t, b.const(axes, "int64", "axes")]
        return b.op("ReduceSum", inputs, keepdims=keepdims, hint="sum")

    if b.dtype(x) == "int32" or (count is not None and count * bound < 1 << 53) or (
            count is None and bound < 1 << 32):
        return plain(x)
    if count is not None and count >= REDUCE_SUM_LIMIT:
        raise b.unsupported(f"an exact int64 sum of {count} values beyond 2^53 is not written")
    half = b.const(1 << 32, "int64", "two_32")
    lo = b.op("Mod", [x, half], hint="lo", fmod=0)
    hi = b.op("Div", [b.op("Sub", [x, lo]), half], hint="hi")
    return b.op("Add", [b.op("Mul", [plain(hi), half]), plain(lo)], hint="sum")


REDUCE_SUM_LIMIT = 1 << 21
"""Values per int64 sum up to which every exported ReduceSum is exact in ONNX Runtime, even
over an axis whose length the export does not know."""


def bit_length(b: OnnxBuilder, x: str) -> str:
    """Elementwise bit length of non-negative int64 ``x``: how many powers 2^0..2^62 it
    reaches, counted with one comparison against all of them."""
    wide = b.op("Unsqueeze", [x, b.const([-1], "int64", "axes")], hint="wide")
    reached = b.op("GreaterOrEqual", [wide, b.const(POW2, hint="powers")], "bool")
    counts = b.cast(reached, "int64")
    return reduce(b, "ReduceSum", counts, [-1], keepdims=0)


def i_sqrt(b: OnnxBuilder, n: str) -> str:
    """``floor(sqrt(n))`` by the same Newton iteration as ``quant.nonlinear.i_sqrt``, unrolled
    ``SQRT_STEPS`` times (each element stops at its fixed point, the floor root)."""
    one = b.const(1, "int64", "one")
    two = b.const(2, "int64", "two")
    half_bits = b.op("Div", [b.op("Add", [bit_length(b, n), one]), two])
    x = b.op("Gather", [b.const(POW2, hint="powers"), half_bits], hint="sqrt0")
    for _ in range(SQRT_STEPS):
        quotient = b.op("Div", [n, maximum(b, x, one)])
        step = b.op("Div", [b.op("Add", [x, quotient]), two], hint="newton")
        x = minimum(b, x, step)
    return x
