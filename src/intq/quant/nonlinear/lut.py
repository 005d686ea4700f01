"""Integer lookup tables: any scalar function of a narrow (<= 16-bit) integer input.

The float function is evaluated once, at compile time, on every representable input and
quantized to the output grid; at run time the op is an index, so it is exactly
``quantize(fn(in_scale * q))`` for every ``q``. Used for sigmoid, tanh, exp, GELU, SiLU,
hard-sigmoid and hard-swish on 8-bit activations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from intq.quant.fixedpoint import as_int64, int_range
from intq.quant.qparams import quantize

MAX_LUT_BITS = 16


def build_lut(fn: Callable[[np.ndarray], np.ndarray], in_scale: float, in_bits: int,
              in_signed: bool, out_scale: float, out_bits: int, out_signed: bool
              ) -> tuple[np.ndarray, int]:
    """The integer ``table`` and index ``offset`` (``-lo`` of the input range) for ``fn``."""
    if not 1 <= in_bits <= MAX_LUT_BITS:
        raise ValueError(f"lookup tables take inputs of 1..{MAX_LUT_BITS} bits, got {in_bits}")
    if not np.isfinite(in_scale) or in_scale <= 0:
        raise ValueError(f"in_scale must be finite and positive, got {in_scale!r}")
    lo, hi = int_range(in_bits, in_signed)
    grid = np.arange(lo, hi + 1, dtype=np.int64) * float(in_scale)
    with np.errstate(all="ignore"):
        values = np.asarray(fn(grid), dtype=np.float64)
    if values.shape != grid.shape:
        raise ValueError(f"fn must be elementwise: got shape {values.shape} for {grid.shape}")
    if np.isnan(values).any():
        raise ValueError("fn returns NaN inside the input range")
    return quantize(values, out_scale, out_bits, out_signed), -lo


def apply_lut(q: np.ndarray, table: np.ndarray, offset: int) -> np.ndarray:
    """``table[q + offset]``; refuses out-of-range inputs instead of wrapping around."""
    index = as_int64(q, "q") + int(offset)
    if index.size and (index.min() < 0 or index.max() >= len(table)):
        raise ValueError(f"input outside the table's range [{-offset}, {len(table) - offset - 1}]")
    return np.asarray(table)[index]
