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


MEAN_FRAC_BITS = 8
"""Fraction bits IntMean keeps below the input's grid before the requantization."""


@lowers("GlobalAveragePool", "ReduceMean")
def lower_mean(ctx: Lowering, node: Node) -> bool:
    """A mean ``mean_to_sum`` left alone because a reduced size is symbolic: IntMean (the sum
    divided by the run-time count, ``MEAN_FRAC_BITS`` below the input's grid), then one
    Requantize onto the output's grid."""
    x = node.inputs[0]
    shape = ctx.src.values[x].shape
    if not ctx.is_float(x) or shape is None:
        return False
    if node.op == "GlobalAveragePool":
        axes, keepdims = list(range(2, len(shape))), 1
    else:
        name = node.inputs[1] if len(node.inputs) > 1 else ""
        if name and ctx.constant(name) is None:
            return False
        reduce = reduced_axes(ctx.constant(name), len(shape), node.attrs["noop_with_empty_axes"])
        if reduce is None:
            return False
        axes, keepdims = sorted(reduce), int(node.attrs["keepdims"])
    epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
    xq = ctx.integer(x)
    scale = ctx.quant(xq).scale / (1 << MEAN_FRAC_BITS)
    axes_const = ctx.add_const(f"{node.name}_axes", np.array(axes, np.int64))
    acc = ctx.accumulate("IntMean", [xq, axes_const],
                         {"keepdims": keepdims, "frac_bits": MEAN_FRAC_BITS,
                          "max_length": ctx.config.max_symbolic_length}, node=node, scale=scale)
    finish_epilogue(ctx, node, acc, np.array([scale]), epi, None)
    return True
