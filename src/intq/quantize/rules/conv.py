"""Conv → IntConv (per-channel integer weights, int32 bias at ``s_x * s_w``) + Requantize, with
a following bias/scale/Relu/Clip chain fused into the Requantize."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.quant.qparams import BIAS_BITS
from intq.quantize.context import Lowering
from intq.quantize.rules.epilogue import (finish_epilogue, fit_bias, integer_bias,
                                          plan_epilogue)
from intq.quantize.rules.registry import lowers


CONV_ATTRS = ("kernel_shape", "strides", "dilations", "pads", "group")


@lowers("Conv")
def lower_conv(ctx: Lowering, node: Node) -> bool:
    x, w_name = node.inputs[:2]
    b_name = node.inputs[2] if len(node.inputs) > 2 else ""
    w, b = ctx.constant(w_name), ctx.constant(b_name)
    if w is None or (b_name and b is None) or not ctx.is_float(x) or x in ctx.src.constants:
        return False
    channels, axis = w.shape[0], 1 - w.ndim
    epi = plan_epilogue(ctx, node, axis, channels, allow_offset=True)
    xq = ctx.integer(x)
    x_scale = ctx.quant(xq).scale
    bits = ctx.config.weight_bits_for(node.name)
    wq, w_scales = ctx.weight(w_name, w, bits, 0, ctx.config.per_channel_weights)
    bias = (np.zeros(channels) if b is None else b.astype(np.float64).reshape(-1)) + epi.offset
    wq, w_scales = fit_bias(ctx, node, w, wq, w_scales, bias, x_scale, 0,
                            ctx.config.per_channel_weights)
    acc_scale = x_scale * w_scales
    bq = integer_bias(node, bias, x_scale, w_scales)
    w_const = ctx.add_const(f"{w_name}_q", wq, QuantInfo(bits, True, w_scales.tolist(), 0))
    b_const = ctx.add_const(f"{node.name}_bias_q", bq,
                            QuantInfo(BIAS_BITS, True, acc_scale.tolist(), 0))
    attrs = {key: node.attrs[key] for key in CONV_ATTRS}
    acc = ctx.accumulate("IntConv", [xq, w_const, b_const], attrs, node=node, scale=acc_scale,
                         axis=axis)
    finish_epilogue(ctx, node, acc, acc_scale, epi, axis)
    return True

