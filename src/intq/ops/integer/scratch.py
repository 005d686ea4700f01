"""Per-thread scratch arrays reused across calls of the prepared kernels.

A fresh multi-megabyte ``np.empty`` is usually a fresh ``mmap``: every page faults on first
touch, which on a virtual machine costs more than the arithmetic done in it (measured: the
stem convolution of the ResNet benchmark spent 80% of its time in the page faults of its
float64 rescale buffer). Prepared kernels therefore take their temporaries from an arena
owned by the calling thread: kernels run one after the other within a thread, each uses a
buffer only until it returns, and no scratch array is ever returned to a caller (results
are copied out). Names must be distinct among the buffers one kernel uses at once. Arrays
larger than ``KEEP_LIMIT`` bytes are allocated per call and not kept.
"""

from __future__ import annotations

import threading

import numpy as np

KEEP_LIMIT = 32 << 20
"""Largest scratch array (bytes) an arena keeps between calls."""

_ARENA = threading.local()


def scratch(name: str, size: int, dtype: np.dtype | type) -> np.ndarray:
    """A flat array of ``size`` elements of ``dtype`` (contents undefined), from the calling
    thread's arena, valid until the next request of the same ``name`` in this thread."""
    dtype = np.dtype(dtype)
    nbytes = size * dtype.itemsize
    if nbytes > KEEP_LIMIT:
        return np.empty(size, dtype=dtype)
    arena: dict[str, np.ndarray] | None = getattr(_ARENA, "buffers", None)
    if arena is None:
        arena = _ARENA.buffers = {}
    raw = arena.get(name)
    if raw is None or raw.size < nbytes:
        raw = arena[name] = np.empty(max(nbytes, 4096), dtype=np.uint8)
    return raw[:nbytes].view(dtype)
