"""Cache-sized blocks for the int64 elementwise chains of the fast paths.

A rescale is several NumPy passes (multiply, add, shift or floor, clamp and narrow) over
64-bit temporaries; run over a whole activation they stream through memory each time, run
block by block they stay in cache (about twice as fast for the int64 form). Blocks follow C
order, so any broadcast operand is cut along the same index.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import EllipsisType

import numpy as np

BLOCK = 1 << 18
"""Elements per block: 2 MiB 64-bit temporaries, measured best for the float64 rescale."""

Index = tuple[int | slice | EllipsisType, ...]
"""A block: integers for outer axes, a slice for the blocked axis (or ``...`` for all)."""


def blocks(shape: tuple[int, ...], limit: int = BLOCK) -> Iterator[Index]:
    """Index tuples that cover an array of ``shape`` in C order, each about ``limit`` elements
    (more only when one innermost row alone is larger)."""
    if not shape or not math.prod(shape):
        yield (Ellipsis,)
        return
    axis = next(a for a in range(len(shape)) if math.prod(shape[a + 1:]) <= limit
                or a == len(shape) - 1)
    step = max(1, limit // math.prod(shape[axis + 1:]))
    for outer in np.ndindex(*shape[:axis]):
        for start in range(0, shape[axis], step):
            yield (*outer, slice(start, start + step))


def block_of(array: np.ndarray, index: Index) -> np.ndarray:
    """The part of ``array`` (same rank as the blocked shape, or a scalar) that broadcasts
    against that shape's block ``index``: size-1 axes are kept whole."""
    if array.ndim == 0 or index[0] is Ellipsis:
        return array
    return array[tuple((0 if isinstance(i, int) else slice(None)) if n == 1 else i
                       for i, n in zip(index, array.shape))]


def full_rank(array: np.ndarray, ndim: int) -> np.ndarray:
    """``array`` with leading unit axes up to ``ndim`` (NumPy broadcasting made explicit)."""
    return array.reshape((1,) * (ndim - array.ndim) + array.shape)
