"""PRelu → IntMul (negative half times the integer slope) + IntAdd, one rounding.

``y = max(x, 0) * s_x / s_y + min(x, 0) * a * s_x / s_y`` per channel: the slope ``a`` is
quantized to 16 bits on one grid ``s_a`` (one scale keeps IntAdd's multipliers scalar), the
negative half ``min(x, 0)`` is multiplied by it exactly (IntMul), and one IntAdd adds both
halves over a shared shift. For every element one of the two terms is 0, so each output is a
single dyadic rounding of the exact product: ``round(m_p x / 2^k)`` for ``x >= 0`` and
``round(m_n x a_q / 2^k)`` below. A scalar slope is a unary function of ``x`` and goes to the
lookup-table rule instead.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.quant.qparams import quantize_weight_per_channel
from intq.quantize.context import Lowering, precision_attrs
from intq.quantize.rules.epilogue import clamp_bounds, epilogue_target, plan_epilogue
from intq.quantize.rules.lut import lower_unary
from intq.quantize.rules.registry import lowers
from intq.quantize.scales import common_multipliers

SLOPE_BITS = 16


@lowers("PRelu")
def lower_prelu(ctx: Lowering, node: Node) -> bool:
    x, slope_name = node.inputs
    slope = ctx.constant(slope_name)
    if slope is not None and slope.size == 1:
        return lower_unary(ctx, node)
    shape = ctx.src.values[x].shape
    if (slope is None or not ctx.is_float(x) or x in ctx.src.constants or shape is None
            or slope.ndim > len(shape) or not np.isfinite(slope).all()
            or ctx.src.values[node.outputs[0]].shape != shape):
        return False
    epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
    target = epilogue_target(ctx, node, epi)
    xq = ctx.integer(x)
    x_scale = ctx.quant(xq).scale
    flat = slope.astype(np.float64).reshape(1, -1)
    aq, a_scale = quantize_weight_per_channel(flat, SLOPE_BITS, 0)
    slope_q = ctx.add_const(f"{node.name}_slope_q", aq.reshape(slope.shape),
                            QuantInfo(SLOPE_BITS, True, float(a_scale[0])))
    zero = ctx.add_const(f"{node.name}_zero", np.zeros((), ctx.out.values[xq].dtype))
    positive = ctx.emit("Relu", [xq], name=f"{node.name}_positive", quant=[ctx.quant(xq)])[0]
    negative = ctx.emit("Min", [xq, zero], name=f"{node.name}_negative",
                        quant=[ctx.quant(xq)])[0]
    product = ctx.accumulate("IntMul", [negative, slope_q], {}, node=node,
                             scale=np.array([x_scale * float(a_scale[0])]))
    gain = float(epi.gain[0]) / target.scale
    reals = [x_scale * gain, x_scale * float(a_scale[0]) * gain]
    multipliers, shift = common_multipliers(
        reals, [ctx.ranges[v].magnitude() for v in (positive, product)])
    lo, hi = clamp_bounds(epi, target)
    out = ctx.emit("IntAdd", [positive, product], {"multipliers": multipliers, "shift": shift,
                                                   **precision_attrs(target, lo, hi)},
                   name=f"{node.name}_sum", outputs=[ctx.int_name(epi.output)], quant=[target])[0]
    ctx.define(epi.output, out)
    ctx.consume(*epi.nodes)
    return True
