"""Shape and Size read only the dimensions of a tensor: either of its forms has the same ones."""

from __future__ import annotations

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers


@lowers("Shape", "Size")
def lower_shape(ctx: Lowering, node: Node) -> bool:
    x = node.inputs[0]
    if x in ctx.floats and x not in ctx.ints and x not in ctx.src.inputs:
        source = ctx.floats[x]
    else:
        source = ctx.integer(x)
    ctx.emit(node.op, [source], node.attrs, name=node.name, outputs=list(node.outputs))
    return True
