"""Requantize: every change of scale, ``clamp(floor((acc * m + 2^(k-1)) / 2^k), lo, hi)``.

The reference is ``intq.quant.dyadic.requantize`` (one int64 multiply, one round-half-up
shift, saturation) followed by the clamp a fused Relu/Clip narrowed. The fast path works
block by block, in float64 where ``max|acc| * m + 2^(k-1) <= 2^52`` makes every step exact
(see ``exact_float``), else in int64 with the half step added before the shift (the same
integers, since ``|acc * m| <= 2^62`` leaves room for the add); it checks these conditions
on the data and otherwise runs the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import (ElementwiseIntegerOp, clamp_bounds, full_hi, full_lo, max_abs,
                                   needs_range, out_dtype)
from intq.ops.integer.blocks import block_of, blocks
from intq.ops.integer.exact_float import ROUNDING_EXACT, round_clamp_into
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import register
from intq.quant.dyadic import MAX_SHIFT, PRODUCT_LIMIT, requantize


def rescale(value: int, m: int, k: int) -> int:
    """``floor((value * m + 2^(k-1)) / 2^k)`` on Python ints: the op's rounding, unclamped."""
    return (value * m + ((1 << k) >> 1)) >> k


def channel_params(m: np.ndarray, k: np.ndarray, acc_ndim: int, axis: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``m`` and ``k`` as int64 arrays broadcasting against the accumulator: scalars for a
    per-tensor rescale, ``[C, 1, ..., 1]`` along ``axis`` per channel."""
    m, k = np.asarray(m, dtype=np.int64), np.asarray(k, dtype=np.int64)
    if m.size == 1 and k.size == 1:
        return m.reshape(()), k.reshape(())
    if not -acc_ndim <= axis < acc_ndim:
        raise ValueError(f"Requantize axis {axis} is out of range for rank {acc_ndim}")
    shape = [1] * acc_ndim
    shape[axis] = -1
    channels = max(m.size, k.size)
    return (np.broadcast_to(m.reshape(-1), (channels,)).reshape(shape),
            np.broadcast_to(k.reshape(-1), (channels,)).reshape(shape))


@register
class Requantize(ElementwiseIntegerOp):
    """``y = clamp(floor((acc * m + 2^(k-1)) / 2^k), lo, hi)``: one rounding, ties up.

    Inputs: ``acc`` (int), ``m`` (int64 constant, scalar or one per channel, 1 <= m < 2^31),
    ``k`` (int64 constant, scalar or one per channel, 0 <= k <= 62). Attributes:
    - ``bits`` (int, default 8), ``signed`` (int 0/1, default 1): output precision and dtype;
    - ``lo``, ``hi`` (int, default the full range of ``bits``/``signed``): clamp, narrowed by
      a fused Relu (lo = 0) or Clip;
    - ``axis`` (int, default 1): channel axis of a per-channel ``m``/``k``.
    """

    op_type = "Requantize"
    attrs = {"bits": 8, "signed": 1, "lo": full_lo, "hi": full_hi, "axis": 1}

    def evaluate(self, attrs: dict[str, Any], acc: np.ndarray, m: np.ndarray, k: np.ndarray
                 ) -> list[np.ndarray]:
        lo, hi = clamp_bounds(attrs)
        m, k = np.asarray(m), np.asarray(k)
        if m.size == 1 and k.size == 1:
            m, k = m.reshape(()), k.reshape(())
        y = requantize(acc, m, k, bits=attrs["bits"], signed=bool(attrs["signed"]),
                       axis=attrs["axis"])
        return [np.asarray(np.clip(y, lo, hi), dtype=out_dtype(attrs))]

    def evaluate_fast(self, attrs: dict[str, Any], acc: np.ndarray, m: np.ndarray,
                      k: np.ndarray) -> list[np.ndarray]:
        lo, hi = clamp_bounds(attrs)
        mm, kk = channel_params(m, k, acc.ndim, attrs["axis"])
        if not _valid(acc, mm, kk):
            return self.evaluate(attrs, acc, m, k)
        if kk.ndim and kk.min() == kk.max():
            kk = kk.reshape(-1)[:1].reshape(())
        half = np.left_shift(1, kk) >> 1
        peak = max_abs(acc) * int(mm.max())
        out = np.empty(acc.shape, dtype=out_dtype(attrs))
        if peak + int(half.max()) <= ROUNDING_EXACT:
            scale = mm.astype(np.float64) * np.ldexp(1.0, -kk)
            for index in blocks(acc.shape):
                x = np.empty(out[index].shape, dtype=np.float64)
                np.multiply(acc[index], block_of(scale, index), out=x)
                round_clamp_into(x, lo, hi, out[index])
            return [out]
        if peak > PRODUCT_LIMIT:
            return self.evaluate(attrs, acc, m, k)
        for index in blocks(acc.shape):
            x = np.empty(out[index].shape, dtype=np.int64)
            np.multiply(acc[index], block_of(mm, index), out=x)
            x += block_of(half, index)
            x >>= block_of(kk, index)
            np.clip(x, lo, hi, out=out[index], casting="unsafe")
        return [out]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        lo, hi = clamp_bounds(attrs)
        acc = needs_range(ranges, 0, "Requantize input acc")
        m, k = _constant(consts, 1, "m"), _constant(consts, 2, "k")
        if m.min() < 1 or k.min() < 0 or k.max() > MAX_SHIFT:
            raise ValueError(f"m must be >= 1 and k in [0, {MAX_SHIFT}]")
        channels = _channels(acc, m, k, attrs["axis"], types)
        bound = max(max(-r_lo, r_hi) * mc for r_lo, r_hi, mc, _ in channels)
        if bound > PRODUCT_LIMIT:
            raise ValueError(f"|acc * m| may reach {bound} (2^{bound.bit_length() - 1}+), beyond "
                             "2^62; requantize earlier or use a smaller multiplier")
        low = min(rescale(r_lo, mc, kc) for r_lo, _, mc, kc in channels)
        high = max(rescale(r_hi, mc, kc) for _, r_hi, mc, kc in channels)
        return [IntRange.of(min(max(low, lo), hi), min(max(high, lo), hi))]


def _valid(acc: np.ndarray, m: np.ndarray, k: np.ndarray) -> bool:
    """Whether the fast kernels apply; anything else goes to the reference (which raises)."""
    return (acc.dtype.kind in "iu" and acc.dtype != np.uint64 and m.size > 0
            and m.min() >= 1 and k.min() >= 0 and k.max() <= MAX_SHIFT)


def _constant(consts: Sequence[np.ndarray | None], index: int, name: str) -> np.ndarray:
    value = consts[index] if index < len(consts) else None
    if value is None or not value.size:
        raise ValueError(f"Requantize {name} must be a non-empty constant")
    return np.asarray(value, dtype=np.int64).reshape(-1)


def _channels(acc: IntRange, m: np.ndarray, k: np.ndarray, axis: int,
              types: Sequence[TensorType | None]) -> list[tuple[int, int, int, int]]:
    """``(acc lo, acc hi, m, k)`` per channel when the accumulator's range and the multipliers
    are per channel on the same axis; otherwise the whole range with each multiplier."""
    channels = max(m.size, k.size)
    ms = np.broadcast_to(m, (channels,)).tolist()
    ks = np.broadcast_to(k, (channels,)).tolist()
    if channels > 1 and acc.axis is not None and len(acc.lo) == channels \
            and acc.axis == _from_end(axis, types):
        return list(zip(acc.lo, acc.hi, ms, ks))
    return [(acc.low, acc.high, mc, kc) for mc, kc in zip(ms, ks)]


def _from_end(axis: int, types: Sequence[TensorType | None]) -> int | None:
    if axis < 0:
        return axis
    t = types[0] if types else None
    if t is None or t.shape is None:
        return None
    return axis - len(t.shape)
