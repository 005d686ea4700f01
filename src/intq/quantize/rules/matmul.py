"""MatMul → IntMatMul + Requantize: a constant operand becomes integer weights (per output
column for the right operand, per tensor for the left), two activations (attention's
``Q Kᵀ`` and ``P V``) multiply as they are; a following bias Add, positive scale Mul and
Relu/Clip fuse into the bias and the one Requantize."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.quant.qparams import BIAS_BITS
from intq.quantize.context import Lowering
from intq.quantize.rules.epilogue import (finish_epilogue, fit_bias, integer_bias,
                                          plan_epilogue)
from intq.quantize.rules.registry import lowers


@lowers("MatMul")
def lower_matmul(ctx: Lowering, node: Node) -> bool:
    a, b = node.inputs
    shapes = [ctx.src.values[v].shape for v in (a, b)]
    if not (ctx.is_float(a) and ctx.is_float(b)) or any(s is None or len(s) < 2 for s in shapes):
        return False
    wa, wb = ctx.constant(a), ctx.constant(b)
    if wa is not None and wb is not None:
        return False
    bits = ctx.config.weight_bits_for(node.name)
    out_shape = ctx.src.values[node.outputs[0]].shape
    channels = out_shape[-1] if out_shape and isinstance(out_shape[-1], int) else None
    epi = plan_epilogue(ctx, node, -1, channels, allow_offset=True)
    offset = epi.offset if np.any(epi.offset) else None
    if wb is not None:
        x = ctx.integer(a)
        per_channel = ctx.config.per_channel_weights
        wq, w_scales = ctx.weight(b, wb, bits, -1, per_channel)
        if offset is not None:
            wq, w_scales = fit_bias(ctx, node, wb, wq, w_scales, offset, ctx.quant(x).scale,
                                    -1, per_channel)
        operands = [x, ctx.add_const(f"{b}_q", wq, QuantInfo(bits, True, w_scales.tolist(),
                                                             wb.ndim - 1))]
    elif wa is not None:
        x = ctx.integer(b)
        wq, w_scales = ctx.weight(a, wa, bits, -1, per_channel=False)
        w_scales = w_scales[:1]
        if offset is not None:
            wq, w_scales = fit_bias(ctx, node, wa, wq, w_scales, offset, ctx.quant(x).scale,
                                    -1, per_channel=False)
        operands = [ctx.add_const(f"{a}_q", wq, QuantInfo(bits, True, float(w_scales[0]))), x]
    else:
        x = ctx.integer(a)
        w_scales = np.array([ctx.quant(ctx.integer(b)).scale])
        operands = [x, ctx.integer(b)]
    x_scale = ctx.quant(x).scale
    acc_scale = x_scale * w_scales
    if offset is not None:
        channels = max(acc_scale.size, offset.size)
        w_scales = np.broadcast_to(w_scales, (channels,))
        bias = integer_bias(node, np.broadcast_to(offset, (channels,)), x_scale, w_scales)
        operands.append(ctx.add_const(f"{node.name}_bias_q", bias,
                                      QuantInfo(BIAS_BITS, True, (x_scale * w_scales).tolist(), 0)))
    inner = shapes[0][-1]
    attrs = {} if wa is not None or wb is not None or isinstance(inner, int) else {
        "max_length": ctx.config.max_symbolic_length}
    acc = ctx.accumulate("IntMatMul", operands, attrs, node=node, scale=acc_scale, axis=-1)
    finish_epilogue(ctx, node, acc, acc_scale, epi, -1)
    return True
