"""Exact integer square root by Newton's iteration (I-BERT's i-sqrt), for layer norm."""

from __future__ import annotations

import numpy as np

from intq.quant.fixedpoint import as_int64, bit_length


def i_sqrt(n: np.ndarray) -> np.ndarray:
    """``floor(sqrt(n))`` elementwise for int64 ``n >= 0``, using only integer operations.

    Starts above the root at ``2^ceil(bits/2)``; integer Newton steps then decrease
    monotonically until the first step that does not, where the iterate is the floor root.
    The loop ends after at most ~6 steps for 63-bit inputs.
    """
    n = as_int64(n, "n")
    if n.size and n.min() < 0:
        raise ValueError("i_sqrt needs non-negative integers")
    x = np.left_shift(1, (bit_length(n) + 1) >> 1)
    while True:
        step = (x + n // np.maximum(x, 1)) >> 1
        smaller = step < x
        if not smaller.any():
            return x
        x = np.where(smaller, step, x)
