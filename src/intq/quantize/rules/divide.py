"""Div of two activations → IntDiv; ``x / max(||x||₂, eps)`` → IntL2Normalize.

Masked mean pooling divides a masked sum by the clamped token count, and sentence encoders
end with ``x / Expand(Clip(ReduceL2(x), eps))`` (``F.normalize``). Both become one integer op
that rounds once (``quant.divide``). The L2 pattern is matched at its ReduceL2, the first of
its nodes in graph order, so no piece of it is ever left in float. Its output grid is fixed:
``out_max = qmax`` of the output width, real value ``y / out_max`` in ``[-1, 1]``; the clamp
``eps`` (at most ``EPS_LIMIT``) only matters for vectors shorter than it, which become 0.
"""

from __future__ import annotations

import math

from intq.calibration.observer import qmax
from intq.ir.graph import Node, QuantInfo
from intq.quant.divide import PRODUCT_LIMIT, l2_shift
from intq.quantize.context import Lowering, precision_attrs
from intq.quantize.errors import UnboundedError
from intq.quantize.rules.registry import lowers

EPS_LIMIT = 1e-6
MULT_LIMIT = 1 << 31


@lowers("Div")
def lower_div(ctx: Lowering, node: Node) -> bool:
    """Only a divisor calibration saw strictly positive (a clamped count): IntDiv gives 0
    where it is not, where float would give a negative quotient or infinity."""
    a, b = node.inputs
    if not (ctx.is_float(a) and ctx.is_float(b)) or ctx.constant(a) is not None \
            or ctx.constant(b) is not None:
        return False
    divisor = ctx.observers.get(b)
    if divisor is None or not divisor.count or divisor.min <= 0:
        return False
    out = node.outputs[0]
    aq, bq = ctx.integer(a), ctx.integer(b)
    target = ctx.act_quant(out, ctx.act_bits(node))
    real = ctx.quant(aq).scale / (ctx.quant(bq).scale * target.scale)
    m, k = _div_multiplier(real, ctx.ranges[aq].magnitude(), ctx.ranges[bq].magnitude())
    ctx.define(out, ctx.emit("IntDiv", [aq, bq], {"m": m, "k": k, **precision_attrs(target)},
                             name=node.name, outputs=[ctx.int_name(out)], quant=[target])[0])
    return True


def _div_multiplier(real: float, a_bound: int, b_bound: int) -> tuple[int, int]:
    """The most precise ``(m, k)`` with ``m / 2^k ≈ real`` that IntDiv's int64 budget allows
    for ``|a| <= a_bound``, ``|b| <= b_bound``."""
    for k in range(62, -1, -1):
        m = round(real * 2.0 ** k)
        if 1 <= m < MULT_LIMIT and 2 * a_bound * m + (b_bound << k) <= PRODUCT_LIMIT \
                and (b_bound << (k + 1)) <= PRODUCT_LIMIT:
            return m, k
    raise UnboundedError(f"a rescale of {real:g} between a quotient of |a| <= {a_bound} by "
                         f"|b| <= {b_bound} does not fit int64")


@lowers("ReduceL2")
def lower_l2_normalize(ctx: Lowering, node: Node) -> bool:
    matched = _l2_pattern(ctx, node)
    if matched is None:
        return False
    axis, div, between = matched
    x = node.inputs[0]
    xq = ctx.integer(x)
    quant = ctx.quant(xq)
    bits = ctx.act_bits(div)
    out_max = qmax(bits, not quant.signed)
    target = QuantInfo(bits, quant.signed, 1.0 / out_max)
    bound = ctx.ranges[xq].magnitude()
    shape = ctx.out.values[xq].shape
    if shape is None or not isinstance(shape[axis], int):
        return False
    shift = l2_shift(shape[axis] * bound * bound, bound * out_max)
    out = div.outputs[0]
    ctx.define(out, ctx.emit("IntL2Normalize", [xq],
                             {"axis": axis, "out_max": out_max, "shift": shift,
                              **precision_attrs(target)},
                             name=div.name, outputs=[ctx.int_name(out)], quant=[target])[0])
    ctx.consume(*between, div)
    return True


def _l2_pattern(ctx: Lowering, node: Node) -> tuple[int, Node, list[Node]] | None:
    """``(axis, the Div, the Clip/Expand between)`` when ``node`` is the ReduceL2 of
    ``Div(x, [Expand](Clip(ReduceL2(x, [axis], keepdims=1), eps)))``."""
    x = node.inputs[0]
    axes = ctx.constant(node.inputs[1]) if len(node.inputs) > 1 else None
    rank = len(ctx.src.values[x].shape or ())
    if (not ctx.is_float(x) or axes is None or axes.size != 1 or not node.attrs["keepdims"]
            or not rank):
        return None
    between, value = [], node.outputs[0]
    while (user := ctx.uses.sole_user(value)) is not None and user.op in ("Clip", "Expand"):
        if user.op == "Clip" and not _small_floor(ctx, user):
            return None
        between.append(user)
        value = user.outputs[0]
    if (user is None or user.op != "Div" or user.inputs != [x, value]
            or any(n.name in ctx.restored for n in [*between, user])):
        return None
    return int(axes.reshape(())) % rank, user, between


def _small_floor(ctx: Lowering, clip: Node) -> bool:
    """A Clip with only a lower bound in ``[0, EPS_LIMIT]``."""
    low = ctx.constant(clip.inputs[1]) if len(clip.inputs) > 1 and clip.inputs[1] else None
    high = clip.inputs[2] if len(clip.inputs) > 2 else ""
    return (low is not None and low.size == 1 and not high
            and 0 <= float(low.reshape(())) <= EPS_LIMIT and math.isfinite(float(low)))
