"""Shape and Size read only the dimensions of a tensor: either of its forms has the same ones;
ConstantOfShape fills a tensor of a computed shape with one value, which has an integer form."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node
from intq.ops.integer.ranges import IntRange
from intq.quant.fixedpoint import storage_dtype
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers
from intq.quantize.scales import quantize_to


@lowers("Shape", "Size")
def lower_shape(ctx: Lowering, node: Node) -> bool:
    x = node.inputs[0]
    if x in ctx.floats and x not in ctx.ints and x not in ctx.src.inputs:
        source = ctx.floats[x]
    else:
        source = ctx.integer(x)
    ctx.emit(node.op, [source], node.attrs, name=node.name, outputs=list(node.outputs))
    return True


@lowers("ConstantOfShape")
def lower_constant_of_shape(ctx: Lowering, node: Node) -> bool:
    """A float fill (a recurrence's zero initial state, sized by the batch) becomes the same
    fill in integers on the output's calibrated grid; zero is exactly zero on every grid."""
    out = node.outputs[0]
    if not ctx.is_float(out):
        return False
    quant = ctx.act_quant(out)
    code = quantize_to(np.array(float(node.attrs["value"])), quant)
    attrs = {"value": int(code), "dtype": storage_dtype(quant.bits, quant.signed).name}
    (result,) = ctx.emit("ConstantOfShape", [ctx.plain(node.inputs[0])], attrs,
                         name=node.name, outputs=[ctx.int_name(out)], quant=[quant])
    ctx.ranges[result] = IntRange.of(min(int(code), 0), max(int(code), 0))
    ctx.define(out, result)
    return True
