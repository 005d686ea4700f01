"""Exact integer intervals, the values the static overflow proof propagates through a graph.

An ``IntRange`` states ``lo <= q <= hi`` for every value a tensor can take, either for the whole
tensor or per channel (``axis``, counted from the end so that it survives unknown ranks). Ends
are Python ints, so the proof itself cannot overflow. Every range holds 0: zero padding and
empty windows produce zeros, and keeping 0 inside makes padded windows need no special case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from intq.quant.fixedpoint import int_range


@dataclass(frozen=True)
class IntRange:
    """``lo[c] <= q <= hi[c]``; one entry per tensor, or one per channel along ``axis`` (< 0)."""

    lo: tuple[int, ...]
    hi: tuple[int, ...]
    axis: int | None = None

    def __post_init__(self) -> None:
        if len(self.lo) != len(self.hi) or not self.lo:
            raise ValueError("a range needs as many lower as upper ends, at least one")
        if self.axis is None and len(self.lo) != 1:
            raise ValueError("a per-tensor range has exactly one entry")
        if self.axis is not None and self.axis >= 0:
            raise ValueError("a channel axis of a range counts from the end (negative)")

    @classmethod
    def of(cls, lo: int, hi: int) -> IntRange:
        """The per-tensor range hull of ``[lo, hi]`` and 0."""
        return cls((min(int(lo), 0),), (max(int(hi), 0),))

    @classmethod
    def per_channel(cls, lo: Sequence[int], hi: Sequence[int], axis: int) -> IntRange:
        if len(lo) == 1:
            return cls.of(lo[0], hi[0])
        return cls(tuple(min(int(v), 0) for v in lo), tuple(max(int(v), 0) for v in hi), axis)

    @classmethod
    def of_bits(cls, bits: int, signed: bool) -> IntRange:
        return cls.of(*int_range(bits, bool(signed)))

    @classmethod
    def of_dtype(cls, dtype: np.dtype | str) -> IntRange:
        info = np.iinfo(np.dtype(dtype))
        return cls.of(int(info.min), int(info.max))

    @classmethod
    def of_array(cls, array: np.ndarray) -> IntRange:
        """The actual extremes of an integer constant."""
        array = np.asarray(array)
        if not array.size:
            return cls.of(0, 0)
        return cls.of(int(array.min()), int(array.max()))

    @property
    def low(self) -> int:
        return min(self.lo)

    @property
    def high(self) -> int:
        return max(self.hi)

    def hull(self) -> IntRange:
        """The per-tensor range covering every channel."""
        return IntRange.of(self.low, self.high)

    def magnitude(self) -> int:
        """The proven bound on ``|q|``."""
        return max(-self.low, self.high)

    def magnitudes(self) -> list[int]:
        return [max(-lo, hi) for lo, hi in zip(self.lo, self.hi)]

    def fits(self, lo: int, hi: int) -> bool:
        return lo <= self.low and self.high <= hi


def union(ranges: Sequence[IntRange]) -> IntRange:
    """The per-tensor range covering all of ``ranges`` (Concat, Where-like merges)."""
    return IntRange.of(min(r.low for r in ranges), max(r.high for r in ranges))


def dot_range(weights: np.ndarray, x: IntRange) -> tuple[list[int], list[int]]:
    """Exact extremes of ``sum_i w[c, i] * x_i`` per row ``c`` of the 2-D ``weights``, for
    any ``x_i`` in the per-tensor range ``x``: positive weights meet ``x.high`` at the top and
    ``x.low`` at the bottom, negative ones the reverse. Reached by ``x_i = x.high * (w > 0) +
    x.low * (w < 0)``, so the bound of a conv or matmul is tight, not just sound."""
    w = np.asarray(weights)
    w = w.astype(np.int64) if w.dtype.itemsize <= 4 else w.astype(object)
    positive = np.where(w > 0, w, 0).sum(axis=1).tolist()
    negative = np.where(w < 0, w, 0).sum(axis=1).tolist()
    lo = [int(p) * x.low + int(n) * x.high for p, n in zip(positive, negative)]
    hi = [int(p) * x.high + int(n) * x.low for p, n in zip(positive, negative)]
    return lo, hi


def scaled(r: IntRange, count: int) -> IntRange:
    """Range of a sum of ``count`` values each in ``r`` (windows, reductions)."""
    return IntRange.of(r.low * count, r.high * count)


def product(a: IntRange, b: IntRange) -> IntRange:
    """Range of ``x * y`` for ``x`` in ``a`` and ``y`` in ``b``."""
    corners = [x * y for x in (a.low, a.high) for y in (b.low, b.high)]
    return IntRange.of(min(corners), max(corners))
