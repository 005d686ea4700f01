"""Mul → a rescale or IntMul + Requantize.

``x * c`` with a positive constant that is one value or one per channel (a batch norm left
after folding, an attention scale) and does not broadcast ``x`` is just a change of scale: one
per-channel Requantize.
Any other constant is quantized (16-bit, per channel when it varies along one axis) and
multiplied exactly by IntMul; two activations multiply with IntMul. Either way one Requantize,
with a following scale/Relu/Clip fused into it, takes the product to the output grid.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.quant.qparams import quantize_weight_per_channel
from intq.quantize.context import Lowering
from intq.quantize.rules.epilogue import finish_epilogue, plan_epilogue
from intq.quantize.rules.registry import lowers

CONSTANT_BITS = 16


@lowers("Mul")
def lower_mul(ctx: Lowering, node: Node) -> bool:
    a, b = node.inputs
    if not (ctx.is_float(a) and ctx.is_float(b)) or (a in ctx.src.constants
                                                     and b in ctx.src.constants):
        return False
    out = node.outputs[0]
    const_index = next((i for i, name in enumerate((a, b)) if name in ctx.src.constants), None)
    if const_index is None:
        epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
        aq, bq = ctx.integer(a), ctx.integer(b)
        scale = np.array([ctx.quant(aq).scale * ctx.quant(bq).scale])
        acc = ctx.accumulate("IntMul", [aq, bq], {}, node=node, scale=scale)
        finish_epilogue(ctx, node, acc, scale, epi, None)
        return True
    x = (a, b)[1 - const_index]
    c = ctx.constant((a, b)[const_index]).astype(np.float64)
    shape = ctx.src.values[out].shape
    if shape is None or c.ndim > len(shape) or not np.isfinite(c).all():
        return False
    padded = c.reshape((1,) * (len(shape) - c.ndim) + c.shape)
    varying = [i - len(shape) for i, d in enumerate(padded.shape) if d != 1]
    axis = varying[0] if len(varying) == 1 else None
    channels = padded.shape[axis] if axis is not None else None
    epi = plan_epilogue(ctx, node, axis, channels, allow_offset=False)
    xq = ctx.integer(x)
    x_scale = ctx.quant(xq).scale
    if len(varying) <= 1 and np.all(c > 0) and ctx.src.values[x].shape == shape:
        finish_epilogue(ctx, node, xq, x_scale * c.reshape(-1), epi, axis)
        return True
    if len(varying) == 1:
        cq, c_scales = quantize_weight_per_channel(padded, CONSTANT_BITS, axis)
        quant = QuantInfo(CONSTANT_BITS, True, c_scales.tolist(), len(shape) + axis)
    else:
        cq, c_scales = quantize_weight_per_channel(padded.reshape(1, -1), CONSTANT_BITS, 0)
        cq, quant = cq.reshape(padded.shape), QuantInfo(CONSTANT_BITS, True, float(c_scales[0]))
    const = ctx.add_const(f"{node.name}_factor_q", cq, quant)
    operands = [xq, const] if const_index == 1 else [const, xq]
    acc_scale = x_scale * c_scales
    acc = ctx.accumulate("IntMul", operands, {}, node=node, scale=acc_scale, axis=axis)
    finish_epilogue(ctx, node, acc, acc_scale, epi, axis)
    return True
