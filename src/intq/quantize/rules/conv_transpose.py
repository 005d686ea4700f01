"""ConvTranspose → IntZeroInsert + IntConv (+ Requantize), exact on integers.

The transposed convolution is rewritten as the direct convolution it equals (see
``intq.ops.integer.zero_insert``): zeros inserted between input neighbours, edges padded or
cropped, then a stride-1 ``IntConv`` with the kernel flipped and its in/out channels swapped
per group. Weights are quantized per output channel of that direct kernel (which is the
ConvTranspose's output channel), the bias in int32 at ``s_x * s_w``, and a following
bias/scale/Relu/Clip chain fuses into the Requantize exactly as after Conv.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.ops.linear import conv_transpose_geometry
from intq.quant.qparams import BIAS_BITS
from intq.quantize.context import Lowering
from intq.quantize.rules.epilogue import (finish_epilogue, fit_bias, integer_bias,
                                          plan_epilogue)
from intq.quantize.rules.registry import lowers


def direct_kernel(w: np.ndarray, groups: int) -> np.ndarray:
    """ConvTranspose weight ``C x M/g x k`` as the equivalent Conv weight ``M x C/g x k``:
    in/out channels swapped within each group, every spatial axis flipped."""
    c, mg, *kernel = w.shape
    cg = c // groups
    grouped = w.reshape(groups, cg, mg, *kernel).swapaxes(1, 2)
    flipped = np.flip(grouped, axis=tuple(range(3, 3 + len(kernel))))
    return np.ascontiguousarray(flipped.reshape(groups * mg, cg, *kernel))


def direct_pads(node: Node, spatial: tuple) -> list[int] | None:
    """IntZeroInsert pads (begins, ends) that make the stride-1 conv give the ConvTranspose's
    output; None when ``output_shape`` meets a symbolic input size."""
    attrs = node.attrs
    rank = len(attrs["kernel_shape"])
    begins, out = conv_transpose_geometry(spatial, attrs)
    if attrs["output_shape"] and not all(isinstance(o, int) for o in out):
        return None
    reach = [(k - 1) * d for k, d in zip(attrs["kernel_shape"], attrs["dilations"])]
    heads = [r - b for r, b in zip(reach, begins)]
    if attrs["output_shape"]:
        spaced = [(n - 1) * s + 1 for n, s in zip(spatial, attrs["strides"])]
        tails = [o + r - n - h for o, r, n, h in zip(out, reach, spaced, heads)]
    else:
        tails = [r - e + p for r, e, p in zip(reach, attrs["pads"][rank:],
                                               attrs["output_padding"])]
    return heads + tails


@lowers("ConvTranspose")
def lower_conv_transpose(ctx: Lowering, node: Node) -> bool:
    x, w_name = node.inputs[:2]
    b_name = node.inputs[2] if len(node.inputs) > 2 else ""
    w, b = ctx.constant(w_name), ctx.constant(b_name)
    shape = ctx.src.values[x].shape
    if w is None or (b_name and b is None) or not ctx.is_float(x) or x in ctx.src.constants \
            or shape is None:
        return False
    pads = direct_pads(node, tuple(shape[2:]))
    if pads is None:
        return False
    groups = node.attrs["group"]
    kernel = direct_kernel(w, groups)
    channels, axis = kernel.shape[0], 1 - kernel.ndim
    epi = plan_epilogue(ctx, node, axis, channels, allow_offset=True)
    xq = ctx.integer(x)
    x_scale = ctx.quant(xq).scale
    bits = ctx.config.weight_bits_for(node.name)
    wq, w_scales = ctx.weight(f"{w_name}:direct:{groups}", kernel, bits, 0,
                              ctx.config.per_channel_weights)
    bias = (np.zeros(channels) if b is None else b.astype(np.float64).reshape(-1)) + epi.offset
    wq, w_scales = fit_bias(ctx, node, kernel, wq, w_scales, bias, x_scale, 0,
                            ctx.config.per_channel_weights)
    acc_scale = x_scale * w_scales
    bq = integer_bias(node, bias, x_scale, w_scales)
    spaced = ctx.emit("IntZeroInsert", [xq], {"strides": list(node.attrs["strides"]),
                                              "pads": pads},
                      name=f"{node.name}_zero_insert", quant=[ctx.quant(xq)])[0]
    w_const = ctx.add_const(f"{w_name}_q", wq, QuantInfo(bits, True, w_scales.tolist(), 0))
    b_const = ctx.add_const(f"{node.name}_bias_q", bq,
                            QuantInfo(BIAS_BITS, True, acc_scale.tolist(), 0))
    attrs = {"kernel_shape": list(node.attrs["kernel_shape"]),
             "dilations": list(node.attrs["dilations"]), "group": groups}
    acc = ctx.accumulate("IntConv", [spaced, w_const, b_const], attrs, node=node,
                         scale=acc_scale, axis=axis)
    finish_epilogue(ctx, node, acc, acc_scale, epi, axis)
    return True
