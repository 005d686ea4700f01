"""CumSum → IntCumSum (an exact running sum on the input's grid) + one Requantize onto the
output's calibrated grid. The axis must be a constant of static length, which bounds every
partial sum (``n`` times the input's bound) for the overflow proof; otherwise it stays float."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node
from intq.ops.integer.cumsum import static_length
from intq.quantize.context import Lowering
from intq.quantize.rules.epilogue import finish_epilogue, plan_epilogue
from intq.quantize.rules.registry import lowers


@lowers("CumSum")
def lower_cumsum(ctx: Lowering, node: Node) -> bool:
    x, axis = node.inputs
    if (not ctx.is_float(x) or x in ctx.src.constants
            or static_length(ctx.src.values[x].shape, ctx.constant(axis)) is None):
        return False
    epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
    xq = ctx.integer(x)
    scale = ctx.quant(xq).scale
    acc = ctx.accumulate("IntCumSum", [xq, ctx.plain(axis)], node.attrs, node=node,
                         scale=scale)
    finish_epilogue(ctx, node, acc, np.array([scale]), epi, None)
    return True
