"""Integer division by a tensor with intq's one rounding rule, and the L2 normalization built
on it: what masked mean pooling (a sum divided by a token count) and unit-length sentence
embeddings need, in integers only.

Both round once, ties up (towards +∞), like ``requantize``: ``round(n / d) =
floor((2n + d) / (2d))`` for ``d > 0``. A non-positive divisor (an all-masked sentence, an
all-zero vector) gives 0, where the float model would give 0 (a clamped count or norm).
"""

from __future__ import annotations

import numpy as np

from intq.quant.fixedpoint import as_int64
from intq.quant.nonlinear.sqrt import i_sqrt

PRODUCT_LIMIT = 1 << 62
"""Every intermediate stays below this (int64 with a bit to spare)."""


def rounded_div(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``round(n / d)``, ties up, elementwise (broadcast) for int64; 0 where ``d <= 0``."""
    n, d = as_int64(n, "n"), as_int64(d, "d")
    positive = d > 0
    safe = np.where(positive, d, 1)
    return np.where(positive, np.floor_divide(2 * n + safe, 2 * safe), 0)


def scaled_div(a: np.ndarray, b: np.ndarray, m: int, k: int) -> np.ndarray:
    """``round(a * m / (b * 2^k))``: the quotient of two integer tensors rescaled by the
    dyadic ``m / 2^k`` in the same single rounding."""
    return rounded_div(as_int64(a, "a") * np.int64(m), as_int64(b, "b") << np.int64(k))


def l2_normalize(x: np.ndarray, axis: int, out_max: int, shift: int) -> np.ndarray:
    """``round(out_max * x / ||x||)`` along ``axis``: ``x * out_max * 2^shift`` divided by the
    floor root of ``sum(x^2) * 4^shift`` (the shift keeps the root's relative error below
    ``2^-shift / sqrt(sum)``); 0 for an all-zero vector."""
    x = as_int64(x, "x")
    energy = np.sum(x * x, axis=axis, keepdims=True, dtype=np.int64) << np.int64(2 * shift)
    return rounded_div(x * np.int64(out_max << shift), i_sqrt(energy))


def l2_shift(energy_bound: int, numerator_bound: int) -> int:
    """The largest ``shift`` keeping ``energy_bound * 4^shift`` and ``numerator_bound *
    2^shift`` at most 2^62 and 2^60 (so ``2n + d`` stays inside int64)."""
    shift = 0
    while (max(energy_bound, 1) << (2 * shift + 2)) <= PRODUCT_LIMIT and \
            (max(numerator_bound, 1) << (shift + 1)) <= PRODUCT_LIMIT >> 2:
        shift += 1
    return shift
