"""ReduceSum → IntReduceSum + Requantize; the ``Mul(1/N)`` that ``mean_to_sum`` leaves after
it (means, global average pooling) folds into the Requantize's multiplier."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node
from intq.ops.reduce import reduced_axes
from intq.quantize.context import Lowering
from intq.quantize.rules.epilogue import finish_epilogue, plan_epilogue
from intq.quantize.rules.registry import lowers


@lowers("ReduceSum")
def lower_reduce_sum(ctx: Lowering, node: Node) -> bool:
    x = node.inputs[0]
    axes = node.inputs[1] if len(node.inputs) > 1 else ""
    if not ctx.is_float(x) or (axes and ctx.constant(axes) is None):
        return False
    epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
    xq = ctx.integer(x)
    scale = ctx.quant(xq).scale
    attrs = dict(node.attrs)
    shape = ctx.src.values[x].shape
    reduce = reduced_axes(ctx.constant(axes), len(shape), node.attrs["noop_with_empty_axes"]) \
        if shape is not None else None
    if reduce and not all(isinstance(shape[a], int) for a in reduce):
        attrs["max_length"] = ctx.config.max_symbolic_length
    acc = ctx.accumulate("IntReduceSum", [xq, ctx.plain(axes)], attrs, node=node,
                         scale=scale)
    finish_epilogue(ctx, node, acc, np.array([scale]), epi, None)
    return True
