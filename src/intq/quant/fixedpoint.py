"""Integer ranges, storage dtypes, rounding shifts and saturation: the fixed-point vocabulary.

Every integer kernel in intq is written with these few operations so that the same bits come
out of NumPy, of an exported ONNX graph and of any integer-only hardware.
"""

from __future__ import annotations

import numpy as np

MAX_BITS = 63
"""Widest declared precision; int64 holds every such value, signed or unsigned."""


def int_range(bits: int, signed: bool) -> tuple[int, int]:
    """``[lo, hi]`` of a ``bits``-wide integer: two's complement when signed."""
    if not isinstance(bits, (int, np.integer)) or not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be an integer in [1, {MAX_BITS}], got {bits!r}")
    bits = int(bits)
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def storage_dtype(bits: int, signed: bool) -> np.dtype:
    """The narrowest NumPy dtype that stores every ``bits``-wide value (int64 beyond 32 bits)."""
    int_range(bits, signed)
    for width in (8, 16, 32):
        if bits <= width:
            return np.dtype(f"{'' if signed else 'u'}int{width}")
    return np.dtype(np.int64)


def as_int64(x: np.ndarray | int, name: str = "x") -> np.ndarray:
    """``x`` as int64, refusing floats, bools and uint64 (which could silently wrap)."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "iu" or arr.dtype == np.uint64:
        raise ValueError(f"{name} must be a signed or <=32-bit unsigned integer array, "
                         f"got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def round_half_up_shift(x: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    """``floor((x + 2^(k-1)) / 2^k)``: divide by ``2^k``, rounding ties towards +infinity.

    This is intq's one rounding rule. It costs an add and an arithmetic shift, needs no sign
    test (half-away-from-zero does) and is the same on every platform. It is computed here as
    ``(x >> k) + bit k-1 of x``, which equals the formula for every int64 ``x`` without the add
    being able to overflow. ``k`` (0..63) broadcasts against ``x``.
    """
    x = as_int64(x)
    k = as_int64(k, "k")
    if k.size and (k.min() < 0 or k.max() > 63):
        raise ValueError("shift k must be in [0, 63]")
    half_bit = (x >> np.maximum(k - 1, 0)) & 1
    return (x >> k) + np.where(k > 0, half_bit, 0)


def saturate(x: np.ndarray | int, bits: int, signed: bool) -> np.ndarray:
    """Clamp integers to the ``bits``-wide range and store them in its narrowest dtype."""
    lo, hi = int_range(bits, signed)
    return np.clip(as_int64(x), lo, hi).astype(storage_dtype(bits, signed))


def bit_length(x: np.ndarray) -> np.ndarray:
    """Elementwise ``int.bit_length`` of non-negative int64 values, by integer binary search."""
    x = as_int64(x)
    if x.size and x.min() < 0:
        raise ValueError("bit_length needs non-negative integers")
    length = np.zeros(x.shape, dtype=np.int64)
    rest = x.copy()
    for step in (32, 16, 8, 4, 2, 1):
        wide = (rest >> step) > 0
        length += np.where(wide, step, 0)
        rest = np.where(wide, rest >> step, rest)
    return length + (rest > 0)
