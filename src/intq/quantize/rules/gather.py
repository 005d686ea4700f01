"""Gather: from a constant table (an embedding) it reads an integer table quantized per
tensor with the layer's weight bits; from an activation it moves integers like any Slice."""

from __future__ import annotations

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.movement import pass_through
from intq.quantize.rules.registry import lowers
from intq.quantize.scales import constant_quant, quantize_to


@lowers("Gather")
def lower_gather(ctx: Lowering, node: Node) -> bool:
    data, indices = node.inputs
    table = ctx.constant(data)
    if table is None or not ctx.is_float(data):
        return pass_through(ctx, node)
    quant = constant_quant(table, ctx.config.weight_bits_for(node.name))
    table_q = ctx.add_const(f"{data}_q", quantize_to(table, quant), quant)
    out = node.outputs[0]
    ctx.define(out, ctx.emit("Gather", [table_q, ctx.plain(indices)], node.attrs,
                             name=node.name, outputs=[ctx.int_name(out)], quant=[quant])[0])
    return True
