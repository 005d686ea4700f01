"""Ops that move, select or compare values without arithmetic run unchanged on integers.

Their output keeps the grid of the data input, exactly as in MRT: reshapes, transposes,
slices, max pooling, nearest resizing, padding with a value on the grid, Relu (a clamp at 0).
Non-data inputs (shapes, axes, pads, indices, Resize's scales) stay as they are.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers
from intq.quantize.scales import quantize_to

DATA_MOVEMENT = ("Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Split",
                 "Expand", "Tile", "Identity", "DepthToSpace", "SpaceToDepth", "MaxPool",
                 "GlobalMaxPool", "ReduceMax", "ReduceMin", "Relu", "Pad")


@lowers(*DATA_MOVEMENT)
def lower_data_movement(ctx: Lowering, node: Node) -> bool:
    return pass_through(ctx, node)


def pass_through(ctx: Lowering, node: Node) -> bool:
    """Run ``node`` on the integer form of its data input (input 0); outputs share its grid."""
    data = node.inputs[0]
    if not ctx.is_float(data) or any(ctx.is_float(i) and i not in ctx.src.constants
                                     for i in node.inputs[1:]):
        return False
    if node.op == "Pad" and node.attrs.get("mode") == "constant" and len(node.inputs) > 2 \
            and node.inputs[2] and ctx.constant(node.inputs[2]) is None:
        return False
    value = ctx.integer(data)
    quant = ctx.quant(value)
    inputs = [value] + [_operand(ctx, node, i, name) for i, name in enumerate(node.inputs[1:], 1)]
    outputs = [ctx.int_name(o) if o and ctx.is_float(o) else o for o in node.outputs]
    results = ctx.emit(node.op, inputs, node.attrs, name=node.name, outputs=outputs,
                       quant=[quant if o and ctx.is_float(o) else None for o in node.outputs])
    for source, result in zip(node.outputs, results):
        if source and ctx.is_float(source):
            ctx.define(source, result)
    return True


def _operand(ctx: Lowering, node: Node, index: int, name: str) -> str:
    """Pad's constant value moves onto the data grid; other operands are copied."""
    if node.op == "Pad" and index == 2 and name and ctx.is_float(name):
        value = ctx.integer(node.inputs[0])
        array = quantize_to(ctx.constant(name), ctx.quant(value))
        return ctx.add_const(f"{name}_q", np.asarray(array, dtype=ctx.out.values[value].dtype))
    return ctx.plain(name)
