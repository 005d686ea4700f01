"""Unary nonlinear ops → IntLUT: one mechanism for every elementwise function.

The table is the float op's own ``evaluate`` on every integer of the input grid, quantized to
the output's calibrated grid, so the integer op is exactly ``quantize(f(s_in * q))``. Inputs
wider than ``LUT_MAX_BITS`` are first requantized onto a ``LUT_MAX_BITS`` grid, except for
Sqrt, which then becomes IntSqrt (an exact integer root over the whole grid). Where the float
function is undefined on the grid (the negative half of Sqrt or Log), the table holds 0.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.ops.integer.sqrt import sqrt_attrs
from intq.ops.registry import get_op
from intq.quant.fixedpoint import int_range
from intq.quant.nonlinear.lut import build_lut
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers

LUT_MAX_BITS = 10
"""Widest table input (1024 entries), as docs/INTEGER_SEMANTICS.md fixes for IntLUT."""

UNARY_OPS = ("Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu", "Erf", "Exp", "Log",
             "Softplus", "Softsign", "Mish", "Elu", "Celu", "Selu", "LeakyRelu",
             "ThresholdedRelu", "Sqrt", "Reciprocal", "Neg", "Abs", "Sign", "Sin",
             "Cos", "Floor", "Ceil", "Round")


@lowers(*UNARY_OPS)
def lower_unary(ctx: Lowering, node: Node) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    extra = [ctx.constant(i) for i in node.inputs[1:]]
    if not ctx.is_float(x) or any(e is None or e.size != 1 for e in extra):
        return False
    opdef = get_op(node.op, node.name)
    if node.op == "Sqrt" and ctx.quant(ctx.integer(x)).bits > LUT_MAX_BITS and \
            _lower_wide_sqrt(ctx, node):
        return True
    value = _narrow(ctx, ctx.integer(x))
    q_in = ctx.quant(value)
    q_out = ctx.act_quant(out, ctx.act_bits(node))
    dtype = np.dtype(ctx.src.values[x].dtype)

    def fn(grid: np.ndarray) -> np.ndarray:
        args = [e.astype(dtype) for e in extra]
        result = opdef.evaluate(node.attrs, grid.astype(dtype), *args)[0]
        return np.nan_to_num(np.asarray(result, dtype=np.float64), nan=0.0)

    table, offset = build_lut(fn, q_in.scale, q_in.bits, q_in.signed, q_out.scale, q_out.bits,
                              q_out.signed)
    table_name = ctx.add_const(f"{node.name}_table", table)
    ctx.define(out, ctx.emit("IntLUT", [value, table_name], {"in_lo": -offset}, name=node.name,
                             outputs=[ctx.int_name(out)], quant=[q_out])[0])
    return True


def _lower_wide_sqrt(ctx: Lowering, node: Node) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    value = ctx.integer(x)
    q_in = ctx.quant(value)
    bound = ctx.ranges[value].magnitude() if value in ctx.ranges else int_range(
        q_in.bits, q_in.signed)[1]
    q_out = ctx.act_quant(out, ctx.act_bits(node), non_negative=True)
    try:
        attrs = sqrt_attrs(q_in.scale, bound, q_out.scale, q_out.bits)
    except ValueError:   # grids too far apart for one multiplier: the table's narrower root
        return False
    ctx.define(out, ctx.emit("IntSqrt", [value], attrs, name=node.name,
                             outputs=[ctx.int_name(out)], quant=[q_out])[0])
    return True


def _narrow(ctx: Lowering, value: str) -> str:
    quant = ctx.quant(value)
    if quant.bits <= LUT_MAX_BITS:
        return value
    ratio = int_range(quant.bits, quant.signed)[1] / int_range(LUT_MAX_BITS, quant.signed)[1]
    target = QuantInfo(LUT_MAX_BITS, quant.signed, quant.scale * ratio)
    return ctx.rescale(value, target)
