"""Fusing what follows an accumulator into its one Requantize.

After an integer conv, matmul, sum or product, a chain of ``Add(constant)`` (a bias),
``Mul(positive constant)`` (a scale) and finally ``Relu``/``Clip`` is an affine map plus a
clamp per channel: it folds into the bias, the dyadic multiplier and the ``lo``/``hi`` bounds
of a single ``Requantize``, so the chain costs no extra rounding. The chain stops at a tensor
that has other readers, is a graph output, or feeds a node kept in float.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.quant.fixedpoint import int_range
from intq.quant.qparams import bias_fitting_scales, quantize, quantize_bias
from intq.quantize.context import Lowering
from intq.quantize.errors import QuantizeError


@dataclass
class Epilogue:
    """``y = clamp(gain * (raw + offset), lo, hi)`` per channel, standing for ``output``."""

    output: str
    nodes: list[Node] = field(default_factory=list)
    gain: np.ndarray = field(default_factory=lambda: np.ones(1))
    offset: np.ndarray = field(default_factory=lambda: np.zeros(1))
    lo: float | None = None
    hi: float | None = None


def plan_epilogue(ctx: Lowering, node: Node, axis: int | None, channels: int | None,
                  allow_offset: bool) -> Epilogue:
    """The longest fusable chain after ``node``; constants may vary along ``axis`` (< 0, with
    ``channels`` entries) only. Offsets need a bias input, hence ``allow_offset``."""
    epi = Epilogue(node.outputs[0])
    while True:
        user = ctx.uses.sole_user(epi.output)
        if user is None or user.name in ctx.restored or epi.output in ctx.config.split:
            return epi
        if user.op in ("Relu", "Clip"):
            if not _clamp(ctx, user, epi):
                return epi
        elif epi.lo is not None or epi.hi is not None or user.op not in ("Mul", "Add"):
            return epi
        else:
            operand = _constant_operand(ctx, user, epi.output)
            vector = None if operand is None else _channel_vector(
                ctx, operand, user.outputs[0], axis, channels)
            if vector is None:
                return epi
            if user.op == "Mul":
                if not np.all(vector > 0):
                    return epi
                epi.gain = epi.gain * vector
            elif allow_offset:
                epi.offset = epi.offset + vector / epi.gain
            else:
                return epi
        epi.nodes.append(user)
        epi.output = user.outputs[0]


def finish_epilogue(ctx: Lowering, main: Node, acc: str, acc_scale: np.ndarray,
                    epi: Epilogue, axis: int | None) -> str:
    """Requantize ``acc`` (real value ``acc * acc_scale``) through ``epi`` onto the calibrated
    grid of ``epi.output``; record that integer form and mark the chain as lowered."""
    target = epilogue_target(ctx, main, epi)
    reals = np.asarray(acc_scale, dtype=np.float64) * epi.gain / target.scale
    lo, hi = clamp_bounds(epi, target)
    channel_axis = axis if reals.size > 1 else None
    out = ctx.requantize(acc, reals, target, name=f"{main.name}_requantize", axis=channel_axis,
                         lo=lo, hi=hi, output=ctx.int_name(epi.output))
    ctx.define(epi.output, out)
    ctx.consume(*epi.nodes)
    return out


def epilogue_target(ctx: Lowering, main: Node, epi: Epilogue) -> QuantInfo:
    """The calibrated grid of the chain's result (unsigned when a clamp makes it so)."""
    non_negative = epi.lo is not None and epi.lo >= 0
    return ctx.act_quant(epi.output, ctx.act_bits(*reversed(epi.nodes), main), non_negative)


def clamp_bounds(epi: Epilogue, target: QuantInfo) -> tuple[int | None, int | None]:
    """A fused Relu/Clip as integer bounds on ``target``'s grid (None: no bound)."""
    lo = None if epi.lo is None else int(np.rint(epi.lo / target.scale))
    hi = None if epi.hi is None else int(np.rint(epi.hi / target.scale))
    return lo, hi


def integer_bias(node: Node, bias: np.ndarray, x_scale: float, w_scales: np.ndarray
                 ) -> np.ndarray:
    """The real bias on the accumulator grid, or a one-line error naming the node."""
    try:
        return quantize_bias(np.broadcast_to(bias, w_scales.shape), x_scale, w_scales)
    except ValueError as exc:
        raise QuantizeError(f"node '{node.name}' ({node.op}): {exc}; restore it with "
                            "restore_nodes or calibrate with more representative data") from None


def fit_bias(ctx: Lowering, node: Node, w: np.ndarray, wq: np.ndarray, w_scales: np.ndarray,
             bias: np.ndarray, x_scale: float, axis: int, per_channel: bool
             ) -> tuple[np.ndarray, np.ndarray]:
    """Weights and scales at which ``bias`` fits int32 at ``x_scale * w_scale``.

    A channel whose bias would overflow (a folded BatchNorm with tiny weights and a large
    shift) gets the least larger weight scale that fits (``bias_fitting_scales``); per-tensor
    weights raise the one tensor scale. ``w`` is requantized at the new scales and each change
    is recorded in ``ctx.bias_adjustments`` with the weights' SQNR before and after.
    """
    wanted = bias_fitting_scales(np.broadcast_to(bias, np.broadcast_shapes(
        np.shape(bias), w_scales.shape)), x_scale, w_scales)
    if not per_channel:
        wanted = np.full(w_scales.shape, wanted.max())
    if np.array_equal(wanted, w_scales):
        return wq, w_scales
    bits = ctx.config.weight_bits_for(node.name)
    top = int_range(bits, True)[1]
    new_q = quantize(np.asarray(w, dtype=np.float64), wanted if per_channel else
                     float(wanted[0]), bits, True, axis if per_channel else None)
    new_q = np.clip(new_q, -top, top, out=new_q)
    for channel in np.flatnonzero(wanted != w_scales) if per_channel else [None]:
        ctx.bias_adjustments[f"{node.name}:{channel}"] = _adjustment(
            node, w, (wq, w_scales), (new_q, wanted), axis, channel)
    return new_q, wanted


def _adjustment(node: Node, w: np.ndarray, before: tuple, after: tuple, axis: int,
                channel: int | None) -> dict:
    """One bias adjustment: node, channel (None: the whole tensor), factor, weight SQNRs."""
    index = 0 if channel is None else int(channel)

    def part(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        return a if channel is None else np.take(a, index, axis=axis)

    sqnr = [_sqnr_db(part(w), part(q) * scales[index]) for q, scales in (before, after)]
    return {"node": node.name, "op": node.op, "channel": None if channel is None else index,
            "factor": float(after[1][index] / before[1][index]),
            "weight_sqnr_before_db": sqnr[0], "weight_sqnr_after_db": sqnr[1]}


def _sqnr_db(real: np.ndarray, approx: np.ndarray) -> float | None:
    """``10 log10(sum w^2 / sum (w - w_hat)^2)``; None when the error is zero (infinite)."""
    error = float(((real - approx) ** 2).sum())
    if error == 0:
        return None
    signal = float((real ** 2).sum())
    return round(10 * math.log10(signal / error), 2) if signal > 0 else None


def _clamp(ctx: Lowering, node: Node, epi: Epilogue) -> bool:
    if node.op == "Relu":
        low, high = 0.0, None
    else:
        bounds = [_scalar(ctx, name) for name in (node.inputs + ["", ""])[1:3]]
        if any(b is False for b in bounds):
            return False
        low, high = bounds
    if low is not None:
        epi.lo = low if epi.lo is None else max(epi.lo, low)
    if high is not None:
        epi.hi = high if epi.hi is None else min(epi.hi, high)
    return True


def _scalar(ctx: Lowering, name: str) -> float | None | bool:
    """A Clip bound: None when omitted, False when not a one-element constant."""
    if not name:
        return None
    array = ctx.constant(name)
    if array is None or array.size != 1:
        return False
    return float(array.reshape(()))


def _constant_operand(ctx: Lowering, node: Node, data: str) -> np.ndarray | None:
    if len(node.inputs) != 2 or node.inputs.count(data) != 1:
        return None
    array = ctx.constant(node.inputs[1 - node.inputs.index(data)])
    if array is None or array.dtype.kind != "f" or not np.isfinite(array).all():
        return None
    return array.astype(np.float64)


def _channel_vector(ctx: Lowering, array: np.ndarray, result: str, axis: int | None,
                    channels: int | None) -> np.ndarray | None:
    """``array`` as one value (shape (1,)) or one per channel, if it broadcasts that way onto
    ``result`` without changing its shape."""
    shape = ctx.src.values[result].shape
    if array.size == 1:
        return array.reshape(1) if shape is None or array.ndim <= len(shape) else None
    if axis is None or channels is None or shape is None or array.ndim > len(shape):
        return None
    padded = (1,) * (len(shape) - array.ndim) + array.shape
    varying = [i - len(shape) for i, d in enumerate(padded) if d != 1]
    if varying != [axis] or padded[axis] != channels:
        return None
    return array.reshape(-1)
