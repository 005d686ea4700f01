"""Softmax → IntSoftmax (I-BERT integer exponential and division), with its mask.

An attention mask that ``isolate_softmax_masks`` turned into ``Where(keep, x, lowest)`` before
the Softmax (``keep`` a constant, or a boolean computed from an integer input mask) becomes
IntSoftmax's boolean mask input: masked positions get exactly zero weight
and the mask's huge values never reach an integer grid. Scores themselves are kept off the
input's smallest value, which IntSoftmax also reads as masked. The output is unsigned with
scale ``2^-bits``.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.ops.integer.softmax import softmax_attrs
from intq.quant.fixedpoint import int_range
from intq.passes.isolate_softmax_masks import MASK_THRESHOLD
from intq.quant.nonlinear.softmax import plan_i_softmax
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers
from intq.quantize.rules.signed import signed_form


@lowers("Softmax")
def lower_softmax(ctx: Lowering, node: Node) -> bool:
    if not ctx.is_float(node.inputs[0]):
        return False
    emit_softmax(ctx, node, node.inputs[0], None)
    return True


@lowers("Where")
def lower_masked_softmax(ctx: Lowering, node: Node) -> bool:
    """A mask ``Where`` is lowered together with the Softmax reading it; other Wheres are
    not lowered."""
    keep, x, fill = (ctx.constant(i) for i in node.inputs)
    softmax = ctx.uses.sole_user(node.outputs[0])
    computed = keep is None and _integer_bool(ctx, node.inputs[0])
    if (not (computed or (keep is not None and keep.dtype == np.bool_))
            or fill is None or fill.size != 1
            or float(fill.reshape(())) > MASK_THRESHOLD or x is not None or softmax is None
            or softmax.op != "Softmax" or softmax.name in ctx.restored
            or node.outputs[0] in ctx.config.split or not ctx.is_float(node.inputs[1])):
        return False
    if computed:
        mask = ctx.emit("Not", [ctx.plain(node.inputs[0])], name=f"{node.name}_masked")[0]
    else:
        mask = ctx.add_const(f"{node.name}_masked", ~keep)
    emit_softmax(ctx, softmax, node.inputs[1], mask)
    ctx.consume(softmax)
    return True


def _integer_bool(ctx: Lowering, name: str) -> bool:
    """A boolean tensor computed from integers (an input attention mask), not a constant."""
    return ctx.src.values[name].dtype == "bool" and ctx.constant(name) is None


def emit_softmax(ctx: Lowering, node: Node, source: str, mask: str | None) -> None:
    value = _off_sentinel(ctx, signed_form(ctx, ctx.integer(source)))
    quant = ctx.quant(value)
    plan = plan_i_softmax(quant.scale, quant.bits, ctx.act_bits(node))
    out = node.outputs[0]
    inputs = [value] + ([mask] if mask else [])
    ctx.define(out, ctx.emit("IntSoftmax", inputs, softmax_attrs(plan, node.attrs["axis"]),
                             name=node.name, outputs=[ctx.int_name(out)],
                             quant=[QuantInfo(plan.out_bits, False, plan.out_scale)])[0])


def _off_sentinel(ctx: Lowering, value: str) -> str:
    """IntSoftmax reads its input's smallest value as "masked"; a score that saturates there
    is raised by one step (an integer Clip) so only real masks get zero weight."""
    quant = ctx.quant(value)
    lowest = int_range(quant.bits, quant.signed)[0]
    if ctx.ranges[value].low > lowest:
        return value
    dtype = ctx.out.values[value].dtype
    bound = ctx.add_const(f"{value}_floor", np.array(lowest + 1, dtype=dtype))
    return ctx.emit("Clip", [value, bound], name=f"{value}_clip", quant=[quant])[0]
