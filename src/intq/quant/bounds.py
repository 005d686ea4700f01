"""Interval arithmetic on integer magnitudes, the raw material of the static overflow proof.

A bound ``B`` states ``|q| <= B`` for every value a tensor can take. Bounds are exact Python
ints, so the proof itself can never overflow; per-channel bounds are lists of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Bound = int | list[int]


def matmul_bound(weight_q: np.ndarray, x_bound: int, axis: int) -> list[int]:
    """Per output channel (``axis`` of the weight), ``sum |w| * x_bound``: sound and tight.

    Reduces over every other axis, so it serves MatMul/Gemm (``axis`` = output column or row)
    and Conv (``axis=0``, reducing input channels and kernel taps) alike.
    """
    w = np.asarray(weight_q)
    if w.dtype.kind not in "iu":
        raise ValueError(f"weight_q must be an integer array, got dtype {w.dtype}")
    if not -w.ndim <= axis < w.ndim:
        raise ValueError(f"axis {axis} is out of range for weights of rank {w.ndim}")
    x_bound = _magnitude(x_bound, "x_bound")
    others = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
    exact = w.astype(np.int64) if w.dtype.itemsize <= 4 else w.astype(object)
    sums = np.abs(exact).sum(axis=others, dtype=exact.dtype)
    return [int(s) * x_bound for s in np.ravel(sums)]


def add_bound(a: Bound, b: Bound) -> Bound:
    """Bound of ``x + y`` from bounds of ``x`` and ``y``; per-channel lists add elementwise."""
    if not isinstance(a, Sequence) and not isinstance(b, Sequence):
        return _magnitude(a, "bound") + _magnitude(b, "bound")
    a_list, b_list = _as_list(a), _as_list(b)
    n = max(len(a_list), len(b_list))
    if {len(a_list), len(b_list)} - {1, n}:
        raise ValueError(f"cannot add bounds of {len(a_list)} and {len(b_list)} channels")
    return [x + y for x, y in zip(a_list * (n // len(a_list)), b_list * (n // len(b_list)))]


def bits_for_bound(bound: int, signed: bool) -> int:
    """Smallest bit width holding ``[-bound, bound]`` (signed) or ``[0, bound]`` (unsigned)."""
    bound = _magnitude(bound, "bound")
    return bound.bit_length() + 1 if signed else max(bound.bit_length(), 1)


def _as_list(bound: Bound) -> list[int]:
    values = [_magnitude(b, "bound") for b in (bound if isinstance(bound, Sequence) else [bound])]
    if not values:
        raise ValueError("a per-channel bound needs at least one channel")
    return values


def _magnitude(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)
