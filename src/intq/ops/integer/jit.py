"""Compiled loops for the fast path's elementwise epilogues, when numba is installed.

The fast path computes accumulators with float BLAS (exact, see ``exact_float``); what follows
them, the requantization and the residual add, is elementwise. In NumPy each of its steps is
a separate pass over memory (multiply, add the half, clamp and convert, then copy into the
output layout), and those passes cost more than the matrix product on small convolutions. With
numba (``pip install 'intq[fast]'``) each epilogue is one compiled loop instead, measured 5-7x
faster. The loops do exactly the NumPy path's arithmetic, element by element, in strict IEEE
float64 (no fast-math: no reassociation, no contraction that could change a rounding), so they
are exact under the same conditions (``Rescale.float_exact``) and their results are the same
integers on every machine; ``tests/ops/integer/test_jit.py`` checks them against the reference.

``INTQ_JIT=0`` in the environment turns the loops off (the NumPy path runs instead); so does a
missing or broken numba. Compilation happens once per argument types, on first use, and is
cached on disk by numba.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

NO_CLAMP = float(2**60)
"""An accumulator clamp that never binds: accumulators handed to the loops are < 2^53."""


def _load() -> Any:
    if os.environ.get("INTQ_JIT", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import numba
    except Exception:  # noqa: BLE001 - numba missing or unusable: the NumPy path runs
        return None
    return numba


_numba = _load()


def enabled() -> bool:
    """Whether the compiled loops are in use."""
    return _numba is not None


if _numba is not None:
    _jit = _numba.njit(nogil=True, cache=True)

    @_jit
    def _rescale_channels_first(acc, low, high, scale, add, bottom, top, base,
                                out):  # pragma: no cover - compiled
        channels, count, rows = acc.shape[0], acc.shape[1], acc.shape[2]
        width = out.shape[3]
        for c in range(channels):
            s, lo, hi = scale[c], low[c], high[c]
            for i in range(count):
                for r in range(rows):
                    a = acc[c, i, r]
                    o = out[i, c, r]
                    for w in range(width):
                        v = min(max(np.float64(a[w]), lo), hi) * s + add
                        o[w] = np.int64(min(max(v, bottom), top)) + base

    @_jit
    def _rescale_channels_last(acc, low, high, scale, add, bottom, top, base,
                               out):  # pragma: no cover - compiled
        rows, channels = acc.shape
        for r in range(rows):
            a = acc[r]
            o = out[r]
            for c in range(channels):
                v = min(max(np.float64(a[c]), low[c]), high[c]) * scale[c] + add
                o[c] = np.int64(min(max(v, bottom), top)) + base

    @_jit
    def _pair_lookup(a, b, table, out):  # pragma: no cover - compiled
        for i in range(out.size):
            out[i] = table[(np.int64(a[i]) << 8) | np.int64(b[i])]


def rescale_channels_first(acc: np.ndarray, low: np.ndarray, high: np.ndarray,
                           scale: np.ndarray, add: float, bottom: float, top: float, base: int,
                           out: np.ndarray) -> None:
    """``out[i, c, r, w] = trunc(clip(clip(acc[c, i, r, w], low[c], high[c]) * scale[c] + add,
    bottom, top)) + base`` in float64 for ``w < out.shape[3] <= acc.shape[3]``: ``acc`` is a
    convolution chunk ``(channels, count, rows, width)`` (float32 or float64 holding integers)
    and ``out`` the matching ``(count, channels, rows, out_width)`` part of the output."""
    _rescale_channels_first(acc, low, high, scale, add, bottom, top, base, out)


def rescale_channels_last(acc: np.ndarray, low: np.ndarray, high: np.ndarray,
                          scale: np.ndarray, add: float, bottom: float, top: float, base: int,
                          out: np.ndarray) -> None:
    """The same for a 2-D ``acc`` ``(rows, channels)`` whose channels are its columns."""
    _rescale_channels_last(acc, low, high, scale, add, bottom, top, base, out)


def pair_lookup(a: np.ndarray, b: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = table[byte(a[i]) * 256 + byte(b[i])]`` over flat arrays of one size, ``a``
    and ``b`` given as their ``uint8`` views."""
    _pair_lookup(a, b, table, out)
