"""Exact, mergeable histogram of |x|: the statistics every activation observer shares.

Design. The histogram has ``BINS`` equal bins over ``[0, R)`` where ``R = 2**exponent`` is the
smallest power of two above the largest |x| seen. A value's bin is
``floor(|x| * BINS / R) = floor(|x| * 2**(log2(BINS) - exponent))``; multiplying by a power
of two is exact in binary floating point, so the bin of a value depends on the value and
``exponent`` only. When a larger value arrives, ``R`` doubles (possibly several times) and
adjacent bin pairs are summed: ``floor(floor(y) / 2) = floor(y / 2)``, so the coarsened
counts equal those of binning everything at the new range directly. The exponent is a
function of the overall max |x|, hence the whole state (int64 counts, exponent, exact
float min and max) is a function of the multiset of values seen: it does not depend on batch
order or on how the data was split, and two states merge by coarsening both to the larger
exponent and adding counts — associative, commutative and exact. Memory is fixed (``BINS``
counts) however much data is observed, and a state is a few NumPy arrays that can be saved
or all-reduced across processes.

Resolution: the data fills between half and all of the bins (max |x| lies in ``[R/2, R)``).
Threshold searches work in bin units (bin width 1) and scale back by the exact ``ldexp``.
"""

from __future__ import annotations

import math

import numpy as np

BINS = 2048
BIN_BITS = 11
EMPTY_EXPONENT = -1075
"""Exponent of a histogram with no nonzero value: 2**-1075 is below every positive float64,
so coarsening from it to any real exponent moves all counts (zeros) into bin 0."""
_CHUNK = 1 << 16
"""Values binned per step: the temporaries stay in cache and bounded whatever the batch."""


def covering_exponent(max_abs: float) -> int:
    """Smallest ``e`` with ``max_abs < 2**e``; ``EMPTY_EXPONENT`` for zero."""
    if max_abs == 0:
        return EMPTY_EXPONENT
    return math.frexp(max_abs)[1]


def bin_counts(values: np.ndarray, exponent: int) -> np.ndarray:
    """Counts of ``|values|`` (float32 or float64, all below ``2**exponent``) per bin.

    Scaling by a power of two is exact in the values' own dtype: a multiplication when the
    factor is a normal number of that dtype (fast), ``ldexp`` otherwise; a product that
    underflows was below one bin anyway. The cast truncates: floor for non-negative values."""
    shift = BIN_BITS - exponent
    info = np.finfo(values.dtype)
    factor = values.dtype.type(math.ldexp(1.0, shift)) if info.minexp <= shift < info.maxexp \
        else None
    flat = values.reshape(-1)
    scaled = np.empty(min(flat.size, _CHUNK), values.dtype)
    index = np.empty(scaled.size, np.intp)
    counts = np.zeros(BINS, np.int64)
    for start in range(0, flat.size, _CHUNK):
        chunk = flat[start:start + _CHUNK]
        size = chunk.size
        np.abs(chunk, out=scaled[:size])
        if factor is None:
            np.ldexp(scaled[:size], shift, out=scaled[:size])
        else:
            np.multiply(scaled[:size], factor, out=scaled[:size])
        index[:size] = scaled[:size]
        counts += np.bincount(index[:size], minlength=BINS)
    return counts


def coarsen(counts: np.ndarray, shift: int) -> np.ndarray:
    """Counts of the same values after the range doubled ``shift`` times (a new array)."""
    if shift < 0:
        raise ValueError(f"cannot refine a histogram (shift {shift})")
    if shift == 0:
        return counts.copy()
    out = np.zeros(BINS, np.int64)
    if shift >= BIN_BITS:
        out[0] = counts.sum()
        return out
    merged = counts.reshape(-1, 1 << shift).sum(axis=1)
    out[:merged.size] = merged
    return out


def to_bins(value: float, exponent: int) -> float:
    """``value`` in bin-width units (exact)."""
    return math.ldexp(value, BIN_BITS - exponent)


def from_bins(value: float, exponent: int) -> float:
    """Bin-width units back to the data's units (exact barring underflow)."""
    return math.ldexp(value, exponent - BIN_BITS)
