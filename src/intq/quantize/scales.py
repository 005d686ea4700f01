"""Compile-time choices of the quantizer: activation grids, weight grids, dyadic multipliers.

Pure functions: floats go in (thresholds, weights, real rescaling factors) and the integers and
scales of the integer graph come out. Nothing here runs at inference time.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from intq.calibration.observer import Observer, qmax
from intq.ir.graph import QuantInfo
from intq.quant.dyadic import MAX_SHIFT, MULT_BITS, PRODUCT_LIMIT, dyadic_from_real
from intq.quant.dyadic import mult_bits_for_bound
from intq.quant.qparams import quantize, quantize_weight_per_channel

TINY_RATIO = 2.0 ** -(MAX_SHIFT - 1)
"""Rescaling factors below this produce 0 for every input; they are raised to it."""


def activation_quant(observer: Observer, bits: int, non_negative: bool = False) -> QuantInfo:
    """Per-tensor grid of an activation: unsigned when the observer (or a fused clamp, given by
    ``non_negative``) shows it is never negative; ``scale = threshold / qmax``."""
    unsigned = non_negative or observer.non_negative
    threshold = observer.threshold(bits, unsigned=observer.non_negative)
    if threshold <= 0:
        threshold = 1.0
    return QuantInfo(bits, not unsigned, threshold / qmax(bits, unsigned))


def constant_quant(array: np.ndarray, bits: int) -> QuantInfo:
    """Per-tensor grid holding every value of a float constant (its max |x|, no clipping)."""
    top = float(np.abs(array).max()) if array.size else 0.0
    unsigned = bool(array.size) and float(array.min()) >= 0
    return QuantInfo(bits, not unsigned, (top or 1.0) / qmax(bits, unsigned))


def quantize_to(array: np.ndarray, quant: QuantInfo) -> np.ndarray:
    """A float array on a per-tensor grid (round half to even, saturating)."""
    return quantize(np.asarray(array, dtype=np.float64), quant.scale, quant.bits, quant.signed)


def quantize_weight(w: np.ndarray, bits: int, axis: int, per_channel: bool,
                    clipping: str = "max") -> tuple[np.ndarray, np.ndarray]:
    """Symmetric weights: integers and one scale per slice along ``axis`` (the same scale
    repeated when ``per_channel`` is off); ``clipping`` as in ``quantize_weight_per_channel``."""
    if per_channel:
        return quantize_weight_per_channel(w, bits, axis, clipping)
    channels = np.asarray(w).shape[axis]
    q, scale = quantize_weight_per_channel(np.asarray(w).reshape(1, -1), bits, 0, clipping)
    return q.reshape(np.shape(w)), np.repeat(scale, channels)


def requant_multipliers(reals: np.ndarray, acc_bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Dyadic ``(m, k)`` per entry of ``reals`` such that ``acc_bound * m`` stays in int64's
    budget; factors too small to matter are raised to ``TINY_RATIO``."""
    bits = mult_bits_for_bound(acc_bound)
    pairs = [dyadic_from_real(max(float(r), TINY_RATIO), bits) for r in np.ravel(reals)]
    return (np.array([m for m, _ in pairs], dtype=np.int64),
            np.array([k for _, k in pairs], dtype=np.int64))


def common_multipliers(reals: list[float], bounds: list[int]) -> tuple[list[int], int]:
    """Signed multipliers sharing one shift ``k`` for ``sum(m_i x_i) / 2^k`` (IntAdd): ``k`` is
    as large as keeps every ``|m_i| < 2^31`` and ``sum |m_i| * bound_i <= 2^62``."""
    largest = max(abs(r) for r in reals)
    if not math.isfinite(largest) or largest <= 0:
        raise ValueError(f"rescaling factors {reals} need a finite non-zero entry")
    k = min(MULT_BITS - math.frexp(largest)[1], MAX_SHIFT)
    while True:
        ms = [_round_half_up(Fraction(r) * Fraction(2) ** k) for r in reals]
        fits = all(abs(m) < 1 << MULT_BITS for m in ms)
        if fits and sum(abs(m) * b for m, b in zip(ms, bounds)) <= PRODUCT_LIMIT:
            break
        if k <= 0:
            raise ValueError(f"rescaling factors {reals} are too large for an integer add")
        k -= 1
    return ms, k


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))
