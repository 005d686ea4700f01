"""LogSoftmax → IntLogSoftmax (integer softmax's ``i_exp``, a log2 table, one rounding) onto
the output's calibrated grid (signed: log-probabilities are <= 0)."""

from __future__ import annotations

from intq.ir.graph import Node
from intq.ops.integer.logsoftmax import logsoftmax_attrs
from intq.quant.nonlinear.logsoftmax import plan_i_log_softmax
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers
from intq.quantize.rules.signed import signed_form


@lowers("LogSoftmax")
def lower_log_softmax(ctx: Lowering, node: Node) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    if not ctx.is_float(x) or x in ctx.src.constants:
        return False
    value = signed_form(ctx, ctx.integer(x))
    quant = ctx.quant(value)
    target = ctx.act_quant(out, ctx.act_bits(node))
    if quant.bits > 16:
        return False
    try:
        plan = plan_i_log_softmax(quant.scale, quant.bits, target.scale, target.bits,
                                  target.signed)
    except ValueError:
        return False
    attrs = logsoftmax_attrs(plan, node.attrs["axis"])
    ctx.define(out, ctx.emit("IntLogSoftmax", [value], attrs, name=node.name,
                             outputs=[ctx.int_name(out)], quant=[target])[0])
    return True
