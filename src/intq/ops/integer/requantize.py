"""Requantize: every change of scale, ``clamp(floor((acc * m + 2^(k-1)) / 2^k), lo, hi)``.

The reference is ``intq.quant.dyadic.requantize`` (one int64 multiply, one round-half-up
shift, saturation) followed by the clamp a fused Relu/Clip narrowed. The fast path works
block by block, in float64 where ``max|acc| * m + 2^(k-1) <= 2^52`` makes every step exact
(see ``exact_float``), else in int64 with the half step added before the shift (the same
integers, since ``|acc * m| <= 2^62`` leaves room for the add); it checks these conditions
on the data and otherwise runs the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer import jit
from intq.ops.integer.base import (INT64_MAX, ElementwiseIntegerOp, clamp_bounds, full_hi,
                                   full_lo, max_abs, needs_range, out_dtype)
from intq.ops.integer.blocks import block_of, blocks
from intq.ops.integer.exact_float import ROUNDING_EXACT, round_clamp_into
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import get_op, register
from intq.quant.dyadic import MAX_SHIFT, PRODUCT_LIMIT, requantize


def rescale(value: int, m: int, k: int) -> int:
    """``floor((value * m + 2^(k-1)) / 2^k)`` on Python ints: the op's rounding, unclamped."""
    return (value * m + ((1 << k) >> 1)) >> k


class Rescale:
    """A ``Requantize`` whose ``m`` and ``k`` are constants, prepared once for kernels that
    requantize what they compute (fused IntConv/IntMatMul) or that run often.

    Holds per channel (one entry for a per-tensor rescale) the int64 ``m``, ``k`` and half
    step and the float64 scale ``m * 2^-k`` (exact: ``m < 2^53``, ``k <= 62``). Raises
    ``ValueError`` for anything the reference would reject, so the caller prepares nothing and
    the reference raises at run time instead.
    """

    def __init__(self, attrs: dict[str, Any], m: np.ndarray, k: np.ndarray) -> None:
        self.lo, self.hi = clamp_bounds(attrs)
        self.dtype = out_dtype(attrs)
        m, k = np.asarray(m).reshape(-1), np.asarray(k).reshape(-1)
        if m.dtype.kind not in "iu" or k.dtype.kind not in "iu" or not m.size or not k.size:
            raise ValueError("m and k must be non-empty integer constants")
        if m.dtype == np.uint64 and int(m.max()) > INT64_MAX or \
                k.dtype == np.uint64 and int(k.max()) > MAX_SHIFT:
            raise ValueError("m or k beyond int64")
        m, k = m.astype(np.int64), k.astype(np.int64)
        if m.min() < 1 or k.min() < 0 or k.max() > MAX_SHIFT:
            raise ValueError(f"m must be >= 1 and k in [0, {MAX_SHIFT}]")
        channels = max(m.size, k.size)
        if m.size not in (1, channels) or k.size not in (1, channels):
            raise ValueError("m and k must have one entry or one per channel")
        self.channels = channels
        self.m = np.ascontiguousarray(np.broadcast_to(m, (channels,)))
        self.k = np.ascontiguousarray(np.broadcast_to(k, (channels,)))
        self.half = np.left_shift(np.int64(1), self.k) >> 1
        self.scale = self.m.astype(np.float64) * np.ldexp(1.0, -self.k)
        self._m = [int(v) for v in self.m]
        self._half = [int(v) for v in self.half]
        # a signed output is rounded with the offset -lo (see apply_float): the float64
        # numerators then reach |acc * m| + 2^(k-1) - lo * 2^k
        self._offset = -self.lo if self.lo < 0 and self.dtype.kind == "i" else 0
        self._extra = [h + (self._offset << int(kc)) for h, kc in zip(self._half, self.k)]
        self._plans: dict[tuple, RescalePlan | None] = {}
        self._compiled: dict[tuple[int, int], tuple[RescalePlan, CompiledRescale]] = {}

    def float_exact(self, bounds: Sequence[int]) -> bool:
        """Whether the float64 rescale is exact for accumulators with ``|acc| <= bounds``
        (one bound, or one per channel when the rescale is per channel): every
        ``bound * m + 2^(k-1) (- lo * 2^k for a signed output with lo < 0) <= 2^52`` (see
        ``exact_float`` and ``apply_float``)."""
        return max(self._products(bounds, self._extra)) <= ROUNDING_EXACT

    def int_exact(self, bounds: Sequence[int]) -> bool:
        """Whether ``acc * m`` stays within the int64 budget (2^62) for these bounds, so the
        int64 rescale neither overflows nor differs from the reference's refusal."""
        return max(self._products(bounds, [0] * self.channels)) <= PRODUCT_LIMIT

    def _products(self, bounds: Sequence[int], extra: Sequence[int]) -> list[int]:
        if len(bounds) == 1 or self.channels == 1:
            top = max(bounds)
            return [top * mc + h for mc, h in zip(self._m, extra)]
        return [b * mc + h for b, mc, h in zip(bounds, self._m, extra)]

    def limits(self, bounds: Sequence[int]) -> tuple[list[int], list[int]]:
        """Per channel ``[a_lo, a_hi]`` with ``-bound <= a_lo <= a_hi <= bound`` such that
        clamping an integer accumulator ``|acc| <= bound`` to it first does not change the
        clamped result: ``clamp(f(clamp(acc, a_lo, a_hi))) == clamp(f(acc))`` for the
        rescale ``f(a) = floor((a * m + 2^(k-1)) / 2^k)`` (non-decreasing, as m >= 1).

        With ``A_lo = min{a : f(a) >= lo} = ceil((lo * 2^k - 2^(k-1)) / m)`` and ``A_hi =
        max{a : f(a) <= hi} = floor(((hi + 1) * 2^k - 2^(k-1) - 1) / m)``, take ``a_lo =
        max(A_lo - 1, -bound)`` and ``a_hi = min(A_hi + 1, bound)``. An accumulator below
        ``a_lo`` is below ``A_lo - 1`` (it is ``>= -bound``), so both it and ``A_lo - 1`` map
        below ``lo`` and clamp to ``lo``; symmetrically above. When ``a_lo > a_hi`` (a range
        the rescale jumps over, or one the accumulator cannot reach) the channel keeps
        ``[-bound, bound]``. The clamped accumulator is bounded by ``max(|a_lo|, |a_hi|)``
        instead of ``bound``, which lets the float64 rescale apply to much wider
        accumulators: about ``(hi - lo + 3) * 2^k`` instead of ``bound * m``."""
        bounds = list(bounds)
        if len(bounds) == 1:
            bounds = bounds * self.channels
        elif self.channels == 1:
            bounds = [max(bounds)]
        low, high = [], []
        for bound, mc, kc, hc in zip(bounds, self._m, self.k.tolist(), self._half):
            a_lo = -((hc - (self.lo << kc)) // mc) - 1
            a_hi = (((self.hi + 1) << kc) - hc - 1) // mc + 1
            a_lo, a_hi = max(a_lo, -bound), min(a_hi, bound)
            if a_lo > a_hi:
                a_lo, a_hi = -bound, bound
            low.append(a_lo)
            high.append(a_hi)
        return low, high

    def plan(self, bounds: Sequence[int], dtype: np.dtype) -> RescalePlan | None:
        """How to rescale accumulators held in ``dtype`` (float32/float64 holding exact
        integers, or an integer dtype) with ``|acc| <= bounds``, memoised: float64 as is
        when ``float_exact(bounds)``; else, only when ``int_exact(bounds)`` (otherwise the
        reference refuses some such accumulators: ``None``, and the caller runs the unfused
        ops, which decide on the data), float64 after clamping the accumulator to its
        ``limits`` when that makes it float-exact (the limits are integers within
        ``bounds``, so exact in ``dtype``; one pair for all channels, their union, when that
        suffices, as a scalar clamp is three times cheaper than a per-channel one); else
        int64."""
        key = (tuple(bounds), np.dtype(dtype))
        if key not in self._plans:
            if len(self._plans) > 64:
                self._plans.clear()
            self._plans[key] = self._plan(list(bounds), np.dtype(dtype))
        return self._plans[key]

    def _plan(self, bounds: list[int], dtype: np.dtype) -> RescalePlan | None:
        if self.float_exact(bounds):
            return RescalePlan(True, None)
        if not self.int_exact(bounds):
            # the reference refuses some accumulators of these bounds: leave it to decide
            return None
        low, high = self.limits(bounds)
        if dtype.kind in "iu":
            # accumulators of an integer dtype lie within its range, and a limit beyond it
            # rescales like the range's end (all accumulators past a limit rescale alike):
            # clip the limits into the range so they do not overflow the dtype
            info = np.iinfo(dtype)
            low = [min(max(v, int(info.min)), int(info.max)) for v in low]
            high = [min(max(v, int(info.min)), int(info.max)) for v in high]
        widest = (min(low), max(high))
        if self.float_exact([max(-widest[0], widest[1])]):
            return RescalePlan(True, tuple(np.array(v, dtype=dtype) for v in widest))
        if self.float_exact([max(-a, b) for a, b in zip(low, high)]):
            shape = (-1,) if self.channels > 1 else ()
            return RescalePlan(True, (np.array(low, dtype=dtype).reshape(shape),
                                      np.array(high, dtype=dtype).reshape(shape)))
        return RescalePlan(False, None)

    def shaped(self, ndim: int, axis: int) -> tuple[np.ndarray, ...]:
        """``(scale, m, half, k)`` shaped to broadcast along ``axis`` of an ``ndim`` array."""
        shape = [1] * ndim
        if self.channels > 1:
            shape[axis] = self.channels
        return tuple(a.reshape(shape) for a in (self.scale, self.m, self.half, self.k))

    def apply(self, acc: np.ndarray, plan: RescalePlan, out: np.ndarray, ndim: int, axis: int,
              work: np.ndarray | None = None) -> None:
        """``out = clamp(floor((acc * m + 2^(k-1)) / 2^k))`` by ``plan`` (from ``plan``, for
        bounds that hold for ``acc``), per channel along ``axis`` of ``ndim``-dimensional
        ``acc``. ``acc`` may be overwritten (clamped in place); ``work`` as in
        ``apply_float``."""
        scale, m, half, k = self.shaped(ndim, axis)
        if not plan.in_float:
            self.apply_int(acc, m, half, k, out)
            return
        if plan.limits is not None:
            low, high = plan.limits
            if low.ndim:
                shape = [1] * ndim
                if self.channels > 1:
                    shape[axis] = self.channels
                np.maximum(acc, low.reshape(shape), out=acc)
                np.minimum(acc, high.reshape(shape), out=acc)
            else:
                # clamping to the union of the channels' limits is valid for each channel:
                # it is at most its a_lo and at least its a_hi (see ``limits``)
                np.clip(acc, low, high, out=acc)
        self.apply_float(acc, scale, out, work)

    def compiled(self, plan: RescalePlan, channels: int) -> CompiledRescale | None:
        """The arguments of the compiled rescale loops (``jit``) for a float ``plan`` on
        accumulators with ``channels`` channels (``self.channels`` is 1 or the same), or
        ``None`` when those loops are off or the plan is not a float64 one. They compute,
        element by element, what ``apply`` computes in passes: clamp the accumulator to the
        plan's limits, ``v = acc * scale + 1/2 - lo'`` with ``lo' = min(lo, 0)`` for a signed
        output (the unsigned offset trick of ``apply_float``), clip ``v`` to ``[lo - lo',
        hi - lo']``, truncate, add ``lo'``: every step is exact under the same condition."""
        if not jit.enabled() or not plan.in_float or self.channels not in (1, channels):
            return None
        key = (id(plan), channels)
        cached = self._compiled.get(key)
        if cached is not None and cached[0] is plan:
            return cached[1]

        def per_channel(values: Any) -> np.ndarray:
            return np.ascontiguousarray(np.broadcast_to(
                np.asarray(values, dtype=np.float64).reshape(-1), (channels,)))

        if plan.limits is None:
            low, high = per_channel(-jit.NO_CLAMP), per_channel(jit.NO_CLAMP)
        else:
            low, high = per_channel(plan.limits[0]), per_channel(plan.limits[1])
        offset = self._offset
        args = CompiledRescale(low, high, per_channel(self.scale), 0.5 + offset,
                               float(self.lo + offset), float(self.hi + offset), -offset)
        if len(self._compiled) > 64:
            self._compiled.clear()
        self._compiled[key] = (plan, args)
        return args

    def apply_float(self, acc: np.ndarray, scale: np.ndarray, out: np.ndarray,
                    work: np.ndarray | None = None) -> None:
        """``out = clamp(floor(acc * scale + 1/2))`` in float64; exact under ``float_exact``.
        ``work`` (float64, ``acc``'s shape) is scratch space, allocated when omitted.

        A signed output with ``lo < 0`` is computed as ``u = clamp(acc * scale + 1/2 - lo, 0,
        hi - lo)`` truncated into the unsigned view of ``out``, then ``out = u + lo`` wrapping
        (two's complement): every step is exact while ``|acc * m| + 2^(k-1) - lo * 2^k <=
        2^52`` (the values are integers times ``2^-k``), ``u >= 0`` so the truncating
        conversion is the floor, and ``u + lo`` lies in ``[lo, hi]``. This saves the floor
        pass, the costliest of the float64 chain."""
        if work is None:
            work = np.empty(acc.shape, dtype=np.float64)
        np.multiply(acc, scale, out=work)
        if not self._offset:
            round_clamp_into(work, self.lo, self.hi, out)
            return
        work += 0.5 + self._offset
        unsigned = out.view(np.dtype(f"u{out.dtype.itemsize}"))
        np.clip(work, 0, self.hi + self._offset, out=unsigned, casting="unsafe")
        np.add(unsigned, unsigned.dtype.type(-self._offset % (1 << 8 * out.dtype.itemsize)),
               out=unsigned)

    def apply_int(self, acc: np.ndarray, m: np.ndarray, half: np.ndarray, k: np.ndarray,
                  out: np.ndarray) -> None:
        """The same in int64 (``acc`` holds integers, float or int); exact under
        ``int_exact``: ``(acc * m + 2^(k-1)) >> k`` cannot overflow when ``|acc * m| <= 2^62``."""
        x = acc.astype(np.int64)
        x *= m
        x += half
        x >>= k
        np.clip(x, self.lo, self.hi, out=out, casting="unsafe")


class CompiledRescale(NamedTuple):
    """Arguments of ``jit.rescale_taps`` (after its layout) and ``jit.rescale_channels_last``
    (after ``acc``): per channel accumulator clamp and scale (float64 arrays), then ``add``,
    ``bottom``, ``top`` and ``base``; see ``Rescale.compiled``."""

    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray
    add: float
    bottom: float
    top: float
    base: int


class RescalePlan(NamedTuple):
    """``Rescale.plan``'s choice: float64 (else int64) arithmetic, and the per-channel
    ``(a_lo, a_hi)`` the accumulator is clamped to first, if any."""

    in_float: bool
    limits: tuple[np.ndarray, np.ndarray] | None


def fused_rescale(then: str, then_attrs: dict[str, Any],
                  then_consts: Sequence[np.ndarray | None]
                  ) -> tuple[Rescale, Callable[[np.ndarray], list[np.ndarray]]] | None:
    """For ``prepare_fused`` of an accumulating op: when the following node is a Requantize
    with constant ``m`` and ``k`` the reference accepts, its prepared ``Rescale`` and a
    function running that Requantize unfused (``evaluate_fast``) on an accumulator, for the
    inputs the fused kernel does not take; else ``None``."""
    if then != "Requantize" or len(then_consts) != 3:
        return None
    m, k = then_consts[1], then_consts[2]
    if m is None or k is None:
        return None
    try:
        rescale = Rescale(then_attrs, m, k)
    except (ValueError, KeyError, TypeError):
        return None
    op = get_op("Requantize")
    return rescale, lambda acc: op.evaluate_fast(then_attrs, acc, m, k)


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
