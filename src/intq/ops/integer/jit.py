"""Compiled loops for the fast path's elementwise epilogues, depthwise convolutions and the
row-wise integer layer norm and softmax, when numba is installed.

The fast path computes accumulators with float BLAS (exact, see ``exact_float``); what follows
them, the requantization and the residual add, is elementwise. In NumPy each of its steps is
a separate pass over memory (multiply, add the half, clamp and convert, then copy into the
output layout), and those passes cost more than the matrix product on small convolutions. With
numba (``pip install 'intq[fast]'``) each epilogue is one compiled loop instead, measured 5-7x
faster. The loops do exactly the NumPy path's arithmetic, element by element, in strict IEEE
float64 (no fast-math: no reassociation, no contraction that could change a rounding), so they
are exact under the same conditions (``Rescale.float_exact``) and their results are the same
integers on every machine; ``tests/ops/integer/test_jit.py`` checks them against the reference.
Depthwise convolutions (BLAS has no use for them) are one vectorised pass per kernel tap over
each sample's plane, in float32 or int32 where every partial sum is exact, so the order of the
additions does not matter; ``tests/ops/integer/test_prepared_kernels.py`` checks them.
Layer norm and softmax repeat the reference's int64 operations row by row (integers, so the
same on every machine; ``test_layernorm.py`` and ``test_softmax.py`` check them).

``INTQ_JIT=0`` in the environment turns the loops off (the NumPy path runs instead); so does a
missing or broken numba. Compilation happens once per argument types, on first use, and is
cached on disk by numba (next to this file, or in ``NUMBA_CACHE_DIR``): the first run of a
CNN on a fresh machine spends about 2 s compiling, later processes load the cache in well
under a second.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

NO_CLAMP = float(2**60)
"""An accumulator clamp that never binds: accumulators handed to the loops are < 2^53."""


_UNLOADED: Any = object()
_numba: Any = _UNLOADED
"""numba once loaded (``None`` when it is off or missing); loaded on first use, so that
``import intq`` stays light (numba and LLVM add about 60 MB and a second of start-up)."""
_compiled: dict[str, Any] = {}


def _load() -> Any:
    if os.environ.get("INTQ_JIT", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    try:
        import numba
        import numba.extending
    except Exception:  # noqa: BLE001 - numba missing or unusable: the NumPy path runs
        return None
    for helper in (_round_half_up, _bit_length):  # callable from the compiled loops
        numba.extending.register_jitable(helper)
    return numba


def enabled() -> bool:
    """Whether the compiled loops are in use (loads numba on the first call)."""
    global _numba
    if _numba is _UNLOADED:
        _numba = _load()
    return _numba is not None


def _kernel(function: Any) -> Any:
    """``function`` compiled by numba (once, cached on disk); only called when ``enabled()``."""
    compiled = _compiled.get(function.__name__)
    if compiled is None:
        compiled = _numba.njit(nogil=True, cache=True)(function)
        _compiled[function.__name__] = compiled
    return compiled


def _round_half_up(x, k):  # pragma: no cover - runs compiled
    """``quant.fixedpoint.round_half_up_shift`` of one int64 by ``0 <= k <= 63``."""
    return (x >> k) + ((x >> (k - 1)) & 1) if k > 0 else x


def _bit_length(v):  # pragma: no cover - runs compiled
    """``int.bit_length`` of one non-negative int64."""
    length = 0
    while v > 0:
        v >>= 1
        length += 1
    return length


def _rescale_taps(y, channels, offsets, rows, row, width, low, high, scale, add, bottom,
                  top, base, out):  # pragma: no cover - runs compiled
    # Per output row: three blocks (the usual kernel height) in one loop, any other count
    # summed into a row buffer first; written as simple loops over row slices, which LLVM
    # vectorises (measured 0.4-0.9 ns per output).
    count, taps = out.shape[0], offsets.shape[0]
    sums = np.empty(width, dtype=np.float64)
    for c in range(channels):
        s, lo, hi = scale[c], low[c], high[c]
        for i in range(count):
            for r in range(rows):
                o = out[i, c, r * width:(r + 1) * width]
                start = r * row
                if taps == 3:
                    y0 = y[c, i, start + offsets[0]:start + offsets[0] + width]
                    y1 = y[channels + c, i, start + offsets[1]:start + offsets[1] + width]
                    y2 = y[2 * channels + c, i,
                           start + offsets[2]:start + offsets[2] + width]
                    for w in range(width):
                        a = np.float64(y0[w]) + np.float64(y1[w]) + np.float64(y2[w])
                        v = min(max(a, lo), hi) * s + add
                        o[w] = np.int64(min(max(v, bottom), top)) + base
                    continue
                src = y[c, i, start + offsets[0]:start + offsets[0] + width]
                for w in range(width):
                    sums[w] = np.float64(src[w])
                for t in range(1, taps):
                    src = y[t * channels + c, i,
                            start + offsets[t]:start + offsets[t] + width]
                    for w in range(width):
                        sums[w] += np.float64(src[w])
                for w in range(width):
                    v = min(max(sums[w], lo), hi) * s + add
                    o[w] = np.int64(min(max(v, bottom), top)) + base


def _rescale_channels_last(acc, low, high, scale, add, bottom, top, base,
                           out):  # pragma: no cover - runs compiled
    rows, channels = acc.shape
    for r in range(rows):
        a = acc[r]
        o = out[r]
        for c in range(channels):
            v = min(max(np.float64(a[c]), low[c]), high[c]) * scale[c] + add
            o[c] = np.int64(min(max(v, bottom), top)) + base


def _depthwise(xp, w, bias, offsets, out):  # pragma: no cover - runs compiled
    # Each tap reads the sample's (phase-split, padded) plane at a fixed offset of the
    # output position, so it is one vectorised pass over the whole grid, converting the
    # input integers on the fly.
    channels, count, rows, row = out.shape
    taps = offsets.shape[0]
    total = rows * row
    per_input = channels // xp.shape[1]
    for c in range(channels):
        bc = bias[c]
        wc = w[c]
        for i in range(count):
            src = xp[i, c // per_input]
            acc = out[c, i].reshape(total)
            for k in range(total):
                acc[k] = bc
            for t in range(taps):
                wv = wc[t]
                tap = src[offsets[t]:offsets[t] + total]
                for k in range(total):
                    acc[k] += wv * tap[k]


def _layernorm_rows(q, gain, bias, row_bits, max_left_shift, eps, frac_shift, out_shift, lo,
                    hi, out):  # pragma: no cover - runs compiled
    # quant.nonlinear.layernorm.i_layernorm, one row at a time, in int64 with the same
    # rounding (_round_half_up) and the same i_sqrt iteration
    rows, n = q.shape
    d = np.empty(n, dtype=np.int64)
    for r in range(rows):
        total = np.int64(0)
        for j in range(n):
            total += np.int64(q[r, j])
        widest = np.int64(0)
        for j in range(n):
            d[j] = n * np.int64(q[r, j]) - total
            widest = max(widest, abs(d[j]))
        shift = max(_bit_length(widest) - row_bits, -max_left_shift)
        right, left = max(shift, 0), max(-shift, 0)
        squares = np.int64(0)
        for j in range(n):
            d[j] = _round_half_up(d[j], right) << left
            squares += d[j] * d[j]
        value = squares + _round_half_up(np.int64(eps), min(2 * (shift + max_left_shift), 62))
        root = np.int64(1) << ((_bit_length(value) + 1) >> 1)
        while True:
            step = (root + value // max(root, 1)) >> 1
            if step >= root:
                break
            root = step
        inverse = (np.int64(1) << 61) // root if root > 0 else np.int64(0)
        for j in range(n):
            x = _round_half_up(d[j] * inverse, frac_shift)
            out[r, j] = min(max(_round_half_up(x * gain[j] + bias[j], out_shift), lo), hi)


def _softmax_rows(q, drop, in_lo, in_clamp, m, k, poly_b, poly_c, frac_bits, zero_shift,
                  out_bits, out):  # pragma: no cover - runs compiled
    # quant.nonlinear.softmax.i_softmax (with exp.i_exp), one row at a time, in int64
    rows, n = q.shape
    e = np.empty(n, dtype=np.int64)
    top = (np.int64(1) << out_bits) - 1
    for r in range(rows):
        peak = np.int64(in_lo)
        for j in range(n):
            if not drop[r, j]:
                peak = max(peak, np.int64(q[r, j]))
        total = np.int64(0)
        for j in range(n):
            if drop[r, j]:
                e[j] = 0
                continue
            t = _round_half_up(max(min(np.int64(q[r, j]) - peak, 0), -in_clamp) * m, k)
            z = (-t) >> frac_bits
            p = t + (z << frac_bits)
            e[j] = _round_half_up((p + poly_b) * (p + poly_b) + poly_c, min(z, zero_shift))
            total += e[j]
        scale = max(2 * total, 1)
        for j in range(n):
            out[r, j] = min(((e[j] << (out_bits + 1)) + total) // scale, top)


def _pair_lookup(a, b, table, out):  # pragma: no cover - runs compiled
    for i in range(out.size):
        out[i] = table[(np.int64(a[i]) << 8) | np.int64(b[i])]


def rescale_taps(y: np.ndarray, channels: int, offsets: np.ndarray, rows: int, row: int,
                 width: int, low: np.ndarray, high: np.ndarray, scale: np.ndarray, add: float,
                 bottom: float, top: float, base: int, out: np.ndarray) -> None:
    """``out[i, c, r * width + w] = trunc(clip(clip(acc, low[c], high[c]) * scale[c] + add,
    bottom, top)) + base`` in float64 for ``r < rows``, ``w < width <= row``, where ``acc =
    sum_t y[t * channels + c, i, r * row + offsets[t] + w]`` (summed in float64, exact for
    integers below 2^53): ``y`` ``(blocks * channels, count, L)`` is a convolution chunk
    (float32 or float64 holding integers, see ``conv_kernel.Taps``) and ``out`` ``(count,
    channels, rows * width)`` the matching part of the output."""
    if row == width:  # rows are contiguous in y and out: one long row per sample and channel
        rows, row, width = 1, rows * row, rows * width
    _kernel(_rescale_taps)(y, channels, offsets, rows, row, width, low, high, scale, add,
                           bottom, top, base, out)


def rescale_channels_last(acc: np.ndarray, low: np.ndarray, high: np.ndarray,
                          scale: np.ndarray, add: float, bottom: float, top: float, base: int,
                          out: np.ndarray) -> None:
    """The same rescale for a 2-D accumulator ``acc`` ``(rows, channels)`` whose channels are
    its columns, into ``out`` of the same shape."""
    _kernel(_rescale_channels_last)(acc, low, high, scale, add, bottom, top, base, out)


def depthwise(xp: np.ndarray, w: np.ndarray, bias: np.ndarray, offsets: np.ndarray,
              out: np.ndarray) -> None:
    """A convolution with one input channel per group (depthwise, or a single input channel)
    with bias: ``out[c, i].flat[p] = bias[c] + sum_t w[c, t] * xp[i, c // (C / C_in),
    offsets[t] + p]`` in ``out``'s dtype (float32 or int32, as ``w`` and ``bias``:
    exact when every partial sum is, which the caller proves), for every position ``p`` of
    the ``(rows, row)`` grids of ``out`` ``(C, count, rows, row)``; ``xp`` ``(count, C_in, L)``
    holds each sample's input planes laid out so that tap ``t`` of output ``p`` is at
    ``offsets[t] + p`` (``conv_kernel.ConvKernel._direct_chunk``)."""
    _kernel(_depthwise)(xp, w, bias, offsets, out)


def layernorm_rows(q: np.ndarray, gain: np.ndarray, bias: np.ndarray, row_bits: int,
                   max_left_shift: int, eps: int, frac_shift: int, out_shift: int, lo: int,
                   hi: int, out: np.ndarray) -> None:
    """``quant.nonlinear.layernorm.i_layernorm`` over the rows of ``q`` ``(rows, n)``
    (integers already checked to lie in the plan's input range), saturated to ``[lo, hi]``
    into ``out`` (``frac_shift`` = RECIPROCAL_BITS - NORM_FRAC_BITS > 0): the same int64
    operations, so the same integers."""
    _kernel(_layernorm_rows)(q, gain, bias, row_bits, max_left_shift, eps, frac_shift,
                             out_shift, lo, hi, out)


def softmax_rows(q: np.ndarray, drop: np.ndarray, in_lo: int, exp: Any, frac_bits: int,
                 zero_shift: int, out_bits: int, out: np.ndarray) -> None:
    """``quant.nonlinear.softmax.i_softmax`` over the rows of ``q`` ``(rows, n)`` (integers
    already checked to lie in ``[in_lo, ...]``), ``drop`` marking the positions left out (the
    minimum value or masked), with the ``ExpPlan`` ``exp``: the same int64 operations, so the
    same integers."""
    _kernel(_softmax_rows)(q, drop, in_lo, exp.in_clamp, exp.m, exp.k, exp.poly_b, exp.poly_c,
                           frac_bits, zero_shift, out_bits, out)


def pair_lookup(a: np.ndarray, b: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = table[byte(a[i]) * 256 + byte(b[i])]`` over flat arrays of one size, ``a``
    and ``b`` given as their ``uint8`` views."""
    _kernel(_pair_lookup)(a, b, table, out)
