"""Dyadic requantization (HAWQ-V3): rescale an integer accumulator by ``m / 2^k``.

A real rescaling factor (``s_x * s_w / s_y``) is replaced at compile time by an integer
multiplier ``m`` and a shift ``k``; at run time ``y = saturate(floor((acc * m + 2^(k-1)) / 2^k))``
is one int64 multiply, one rounding shift (ties towards +infinity, see ``round_half_up_shift``)
and one clamp. There is no float multiply and no second rounding, the known causes of
cross-platform drift.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from intq.quant.fixedpoint import as_int64, round_half_up_shift, saturate

MULT_BITS = 31
"""Default multiplier width: ``m < 2^31`` fits an int32 register."""

MAX_SHIFT = 62
"""Largest shift; with ``|acc * m| <= 2^62`` a literal ``x + 2^(k-1)`` also fits in int64."""

PRODUCT_LIMIT = 1 << 62
"""Bound on ``|acc * m|`` that every requantization must respect (see ``MAX_SHIFT``)."""


def dyadic_from_real(real: float, mult_bits: int = MULT_BITS,
                     max_shift: int = MAX_SHIFT) -> tuple[int, int]:
    """The ``(m, k)`` with ``m < 2^mult_bits`` and ``k <= max_shift`` closest to ``real``.

    The shift is as large as the multiplier width allows, so ``m >= 2^(mult_bits-1)`` and the
    relative error is at most ``2^-mult_bits`` unless ``max_shift`` caps it. Computed with exact
    rationals so that the result is the same everywhere.
    """
    if not isinstance(mult_bits, (int, np.integer)) or not 1 <= mult_bits <= 62:
        raise ValueError(f"mult_bits must be an integer in [1, 62], got {mult_bits!r}")
    if not isinstance(max_shift, (int, np.integer)) or not 0 <= max_shift <= MAX_SHIFT:
        raise ValueError(f"max_shift must be an integer in [0, {MAX_SHIFT}], got {max_shift!r}")
    real = float(real)
    if not math.isfinite(real) or real <= 0:
        raise ValueError(f"dyadic multiplier needs a finite positive real, got {real!r}")
    k = min(int(mult_bits) - math.frexp(real)[1], int(max_shift))
    too_large = ValueError(f"real {real!r} is too large for a {mult_bits}-bit multiplier")
    if k < 0:
        raise too_large
    m = _round_half_up(Fraction(real) * (1 << k))
    if m == 1 << mult_bits:
        if k == 0:
            raise too_large
        m, k = m >> 1, k - 1
    if m == 0:
        raise ValueError(f"real {real!r} is below 2^-{max_shift + 1}, the smallest dyadic step")
    return m, k


def dyadic_per_channel(reals: np.ndarray, mult_bits: int = MULT_BITS,
                       max_shift: int = MAX_SHIFT) -> tuple[np.ndarray, np.ndarray]:
    """``dyadic_from_real`` for each entry of a 1-D array: int64 multipliers and shifts."""
    reals = np.asarray(reals, dtype=np.float64)
    if reals.ndim != 1:
        raise ValueError(f"per-channel reals must be 1-D, got shape {reals.shape}")
    pairs = [dyadic_from_real(r, mult_bits, max_shift) for r in reals]
    return (np.array([m for m, _ in pairs], dtype=np.int64),
            np.array([k for _, k in pairs], dtype=np.int64))


def mult_bits_for_bound(acc_bound: int) -> int:
    """Widest multiplier width (<= ``MULT_BITS``) for which ``acc_bound * m`` always fits."""
    acc_bound = abs(int(acc_bound))
    if acc_bound == 0:
        return MULT_BITS
    bits = min(MULT_BITS, (PRODUCT_LIMIT // acc_bound + 1).bit_length() - 1)
    if bits < 1:
        raise ValueError(f"accumulator bound {acc_bound} leaves no room for a multiplier")
    return bits


def requantize_fits_int64(acc_bound: int, m: int) -> bool:
    """Whether every ``|acc| <= acc_bound`` times ``m`` stays within ``PRODUCT_LIMIT``."""
    return abs(int(acc_bound)) * abs(int(m)) <= PRODUCT_LIMIT


def requantize(acc: np.ndarray, m: int | np.ndarray, k: int | np.ndarray, *, bits: int,
               signed: bool, axis: int | None = None) -> np.ndarray:
    """``saturate(round_half_up_shift(acc * m, k))``; array ``m``/``k`` are per channel on ``axis``.

    Raises ValueError if some ``acc * m`` of this data could leave the int64 budget, so a wrap
    never happens silently. Returns the narrowest dtype of the target precision.
    """
    acc = as_int64(acc, "acc")
    m = as_int64(m, "m")
    k = as_int64(k, "k")
    if m.ndim > 1 or k.ndim > 1:
        raise ValueError("m and k must be scalars or 1-D per-channel arrays")
    if m.size == 0 or m.min() < 1:
        raise ValueError("multiplier m must be >= 1")
    if k.size == 0 or k.min() < 0 or k.max() > MAX_SHIFT:
        raise ValueError(f"shift k must be in [0, {MAX_SHIFT}]")
    if m.ndim or k.ndim:
        m, k = _per_channel(acc, m, k, axis)
    _check_product(acc, m)
    return saturate(round_half_up_shift(acc * m, k), bits, signed)


def _per_channel(acc: np.ndarray, m: np.ndarray, k: np.ndarray, axis: int | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    if axis is None:
        raise ValueError("per-channel m/k need the channel axis")
    if not -acc.ndim <= axis < acc.ndim:
        raise ValueError(f"axis {axis} is out of range for an accumulator of rank {acc.ndim}")
    channels = acc.shape[axis]
    if m.size not in (1, channels) or k.size not in (1, channels):
        raise ValueError(f"per-channel m/k must have {channels} entries (axis {axis})")
    shape = [1] * acc.ndim
    shape[axis] = channels
    return (np.broadcast_to(m, (channels,)).reshape(shape),
            np.broadcast_to(k, (channels,)).reshape(shape))


def _check_product(acc: np.ndarray, m: np.ndarray) -> None:
    if acc.size == 0:
        return
    if m.size == 1:
        bounds, mults = [max(int(acc.max()), -int(acc.min()))], [int(m.max())]
    else:
        others = tuple(i for i, n in enumerate(m.shape) if n == 1)
        hi, lo = acc.max(axis=others).tolist(), acc.min(axis=others).tolist()
        bounds, mults = [max(h, -low) for h, low in zip(hi, lo)], m.ravel().tolist()
    for bound, mult in zip(bounds, mults):
        if not requantize_fits_int64(bound, mult):
            raise ValueError(f"accumulator magnitude {bound} times multiplier {mult} exceeds "
                             "2^62; requantize earlier or use a smaller multiplier")


def _round_half_up(value: Fraction) -> int:
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)
