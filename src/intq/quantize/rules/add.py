"""Add/Sub → IntAdd: residual sums (and constant offsets) with one rounding.

Each operand is scaled by its own signed dyadic multiplier over a shared shift, so
``x_1 ± x_2`` (or ``x + c``) lands on the output grid in one step, and a following positive
scalar Mul or Relu/Clip folds into the multipliers and the clamp. A constant operand is
quantized to int32 on a grid 256 times finer than the output's, so it adds no visible error.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.quantize.context import Lowering, precision_attrs
from intq.quantize.rules.epilogue import clamp_bounds, epilogue_target, plan_epilogue
from intq.quantize.rules.registry import lowers
from intq.quantize.scales import common_multipliers, quantize_to

CONSTANT_BITS = 32
CONSTANT_REFINE = 256.0


@lowers("Add", "Sub")
def lower_add(ctx: Lowering, node: Node) -> bool:
    a, b = node.inputs
    if not (ctx.is_float(a) and ctx.is_float(b)) or (a in ctx.src.constants
                                                     and b in ctx.src.constants):
        return False
    epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
    target = epilogue_target(ctx, node, epi)
    values, reals = [], []
    for name, sign in ((a, 1.0), (b, -1.0 if node.op == "Sub" else 1.0)):
        array = ctx.constant(name)
        if array is None:
            value = ctx.integer(name)
        else:
            value = ctx.add_const(f"{name}_q", *_fine_constant(array, target))
        values.append(value)
        reals.append(sign * ctx.quant(value).scale * float(epi.gain[0]) / target.scale)
    multipliers, shift = common_multipliers(reals, [ctx.ranges[v].magnitude() for v in values])
    lo, hi = clamp_bounds(epi, target)
    out = ctx.emit("IntAdd", values, {"multipliers": multipliers, "shift": shift,
                                      **precision_attrs(target, lo, hi)},
                   name=node.name, outputs=[ctx.int_name(epi.output)], quant=[target])[0]
    ctx.define(epi.output, out)
    ctx.consume(*epi.nodes)
    return True


def _fine_constant(array: np.ndarray, target: QuantInfo) -> tuple[np.ndarray, QuantInfo]:
    top = float(np.abs(array).max()) if array.size else 0.0
    scale = max(target.scale / CONSTANT_REFINE, top / ((1 << (CONSTANT_BITS - 2)) - 1))
    quant = QuantInfo(CONSTANT_BITS, True, scale)
    return quantize_to(array, quant), quant
