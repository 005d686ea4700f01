"""Concat, Max and Min on integers: exact once every operand is on one grid.

Operands already sharing a grid are used as they are; otherwise each is requantized to the
calibrated grid of the output (constants are quantized onto it directly).
"""

from __future__ import annotations

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers


@lowers("Concat", "Max", "Min")
def lower_common_scale(ctx: Lowering, node: Node) -> bool:
    if not all(ctx.is_float(i) for i in node.inputs):
        return False
    out = node.outputs[0]
    variables = [i for i in node.inputs if i not in ctx.src.constants]
    if not variables:
        return False
    grids = {_grid(ctx.quant(ctx.integer(i))) for i in variables}
    if len(grids) == 1 and len(variables) == len(node.inputs):
        target = ctx.quant(ctx.integer(variables[0]))
    else:
        target = ctx.act_quant(out, ctx.act_bits(node))
    values = [ctx.integer_at(i, target) for i in node.inputs]
    ctx.define(out, ctx.emit(node.op, values, node.attrs, name=node.name,
                             outputs=[ctx.int_name(out)], quant=[target])[0])
    return True


def _grid(quant) -> tuple:
    return quant.bits, quant.signed, quant.scale
