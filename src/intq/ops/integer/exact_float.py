"""When float BLAS is exact on integers: the rule behind the fast paths of IntConv/IntMatMul.

Integers are exact in float32 up to 2^24 and in float64 up to 2^53, and so is every sum of
them that stays within that range. If ``max|x| * max_c sum_i |w[c, i]|`` is within it, every
product and every partial sum a BLAS kernel forms, in any order, with or without FMA, on any
number of threads, is such an integer: the result is exactly the integer dot product. The
bound is computed from the operands at run time, so a kernel never relies on the bound alone.

The same holds for a rescale ``floor(acc * m / 2^k + 1/2)``, which equals
``floor((acc * m + 2^(k-1)) / 2^k)``: computed as ``acc * (m * 2^-k) + 0.5`` every step is
exact while ``|acc * m| + 2^(k-1) <= 2^52`` (the result is that integer times ``2^-k``; one
bit is kept for the half when ``k = 0``), and so is the floor. AVX2 has no vectorized 64-bit
integer multiply or arithmetic shift, so this float64 form is the faster one where it applies.
"""

from __future__ import annotations

import numpy as np

FLOAT32_EXACT = 1 << 24
FLOAT64_EXACT = 1 << 53
ROUNDING_EXACT = 1 << 52
"""Largest ``|acc * m| + 2^(k-1)`` for which the float64 rescale rounds exactly."""


def exact_float_dtype(bound: int) -> np.dtype | None:
    """The cheaper float dtype whose partial sums of magnitude ``<= bound`` are exact, or
    ``None`` when only integer arithmetic is."""
    if bound <= FLOAT32_EXACT:
        return np.dtype(np.float32)
    if bound <= FLOAT64_EXACT:
        return np.dtype(np.float64)
    return None


def row_abs_sum_max(w: np.ndarray, axis: int) -> int:
    """``max over the other axes of sum |w|`` along ``axis``: the largest L1 norm of a row of
    weights that meets one input vector (exact: int64 sums of < 2^32 values of <= 32 bits,
    Python ints beyond)."""
    if not w.size:
        return 0
    wide = w.astype(np.int64) if w.dtype.itemsize <= 4 else w.astype(object)
    return int(np.abs(wide).sum(axis=axis).max())


def round_clamp_into(x: np.ndarray, lo: int, hi: int, out: np.ndarray) -> None:
    """``out = clamp(floor(x + 1/2), lo, hi)`` for a float64 ``x = (acc * m) * 2^-k`` computed
    within ``ROUNDING_EXACT``; ``x`` is overwritten. With ``lo >= 0`` the final conversion's
    truncation already is the floor."""
    x += 0.5
    if lo < 0:
        np.floor(x, out=x)
    np.clip(x, lo, hi, out=out, casting="unsafe")
