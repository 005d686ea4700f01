"""IntConv and IntMatMul: exact integer products in ONNX Runtime's int32/int64 MatMul.

ONNX Runtime's ``ConvInteger``/``MatMulInteger`` are avoided: on x86 without VNNI their u8*s8
kernels add pairs of products in int16 with saturation. ``MatMul`` on int32/int64 runs plain
integer multiply-adds (Eigen), exact while every partial sum fits the dtype. The dtype is
int32 when ``max|x| * sum|w|`` of every output fits int32 (then every partial sum does, in
any order), else int64. A convolution is an im2col from strided Slices (see ``windows``)
followed by one MatMul, in channels-last layout so that no static spatial size is needed;
depthwise convolution multiplies the stacked taps elementwise and sums them.

``qdq``: Conv / MatMul on the real inputs with int8 weights behind a (per-channel)
DequantizeLinear and the int32 bias behind one at scale ``s_x * s_w``.
"""

from __future__ import annotations

import math

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import along_axis, reduce_sum
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.windows import pad_spatial, tap_slices
from intq.ir.graph import Node

INT32_MAX = (1 << 31) - 1


def max_abs_of(b: OnnxBuilder, ir_value: str) -> int:
    """Largest ``|q|`` an IR integer value can hold: its constant data, its proven bound, or
    its dtype's range."""
    array = b.constant_of(ir_value)
    if array is not None:
        return int(np.abs(array.astype(np.int64)).max()) if array.size else 0
    value = b.graph.values[ir_value]
    if value.quant is not None and value.quant.bound is not None:
        return int(value.quant.bound)
    info = np.iinfo(np.dtype(value.dtype))
    return max(-int(info.min), int(info.max))


def product_dtype(acc_dtype: str, bound: int) -> str:
    """int32 if the accumulator is int32 and the sums of products are proven to fit it."""
    return "int32" if acc_dtype == "int32" and bound <= INT32_MAX else "int64"


def finish(b: OnnxBuilder, node: Node, y: str, bias_index: int, transpose: list[int] | None
           ) -> None:
    """Add the optional bias (on the last axis), restore the layout, publish in acc dtype."""
    bias = node.inputs[bias_index] if len(node.inputs) > bias_index else ""
    if bias:
        y = b.op("Add", [y, b.get_as(bias, b.dtype(y))], hint="biased")
    if transpose is not None:
        y = b.op("Transpose", [y], perm=transpose)
    b.set(node.outputs[0], b.cast(y, b.graph.values[node.outputs[0]].dtype))


@export_rule("int", "IntConv")
def int_conv(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    w = b.constant_of(node.inputs[1])
    if w is None:
        raise b.unsupported("the weight must be a constant")
    kernel = list(attrs["kernel_shape"])
    rank, taps = len(kernel), math.prod(kernel)
    groups = int(attrs["group"])
    out_ch, per_group = w.shape[0], w.shape[1]
    channels = per_group * groups
    w64 = w.astype(np.int64)
    bound = max_abs_of(b, node.inputs[0]) * int(np.abs(w64).reshape(out_ch, -1).sum(1).max())
    dtype = product_dtype(b.graph.values[node.outputs[0]].dtype, bound)

    x = pad_spatial(b, b.get(node.inputs[0]), attrs["pads"])
    x = b.op("Transpose", [x], perm=[0, *range(2, 2 + rank), 1], hint="nhwc")
    unsqueeze = b.const([-2], "int64", "axes")
    stacked = b.op("Concat", [b.op("Unsqueeze", [t, unsqueeze]) for t in
                              tap_slices(b, x, kernel, attrs["strides"], attrs["dilations"],
                                         range(1, 1 + rank))], axis=-2, hint="cols")
    cols = b.cast(stacked, dtype)
    keep = [0] * (1 + rank)
    if per_group == 1 and groups > 1:
        mult = out_ch // groups
        if mult > 1:
            index = b.const(np.arange(out_ch) // mult, "int64", "channel_of")
            cols = b.op("Gather", [cols, index], axis=-1)
        weights = b.const(w64.reshape(out_ch, taps).T, dtype, "w")
        y = reduce_sum(b, b.op("Mul", [cols, weights]), [-2], 0, taps,
                       max_abs_of(b, node.inputs[0]) * int(np.abs(w64).max(initial=0)))
    elif groups == 1:
        flat = b.op("Reshape", [cols, b.const(keep + [taps * channels], "int64", "shape")])
        weights = w64.reshape(out_ch, channels, taps).transpose(2, 1, 0)
        y = b.op("MatMul", [flat, b.const(weights.reshape(taps * channels, out_ch), dtype, "w")],
                 hint="acc")
    else:
        mult = out_ch // groups
        split = b.op("Reshape", [cols, b.const(keep + [taps, groups, per_group], "int64",
                                               "shape")])
        moved = b.op("Transpose", [split], perm=[*range(1 + rank), rank + 2, rank + 1, rank + 3])
        rows = b.op("Reshape", [moved, b.const(keep + [groups, 1, taps * per_group], "int64",
                                                "shape")])
        weights = w64.reshape(groups, mult, per_group, taps).transpose(0, 3, 2, 1)
        y = b.op("MatMul", [rows, b.const(weights.reshape(groups, taps * per_group, mult), dtype,
                                          "w")], hint="acc")
        y = b.op("Reshape", [y, b.const(keep + [out_ch], "int64", "shape")])
    finish(b, node, y, 2, [0, 1 + rank, *range(1, 1 + rank)])


@export_rule("int", "IntMatMul")
def int_matmul(b: OnnxBuilder, node: Node) -> None:
    a_name, b_name = node.inputs[:2]
    b_const = b.constant_of(b_name)
    if b_const is not None and b_const.ndim >= 2:
        col_sum = int(np.abs(b_const.astype(np.int64)).sum(axis=-2).max()) if b_const.size else 0
        bound = max_abs_of(b, a_name) * col_sum
    else:
        shape = b.ir_shape(a_name)
        inner = shape[-1] if shape else None
        if not isinstance(inner, int):
            inner = 1 << 62
        bound = inner * max_abs_of(b, a_name) * max_abs_of(b, b_name)
    dtype = product_dtype(b.graph.values[node.outputs[0]].dtype, bound)
    y = b.op("MatMul", [b.get_as(a_name, dtype), b.get_as(b_name, dtype)], hint="acc")
    finish(b, node, y, 2, None)


def qdq_bias(b: QdqBuilder, node: Node, index: int, scale: np.ndarray) -> str:
    """The optional bias input dequantized at the accumulator's natural scale, so that
    ONNX Runtime's QDQ fusions (and TensorRT) see the usual ``s_x * s_w`` bias scale."""
    bias = node.inputs[index] if len(node.inputs) > index else ""
    if not bias:
        return ""
    array = b.constant_of(bias)
    if array is None:
        return b.real(bias)
    flat = np.broadcast_to(np.ravel(scale), (array.size,)) if np.size(scale) > 1 else scale
    return b.dequantize_const(array, np.asarray(flat), 0)


def per_tensor(b: QdqBuilder, ir_name: str) -> np.ndarray:
    scale = b.scale_of(ir_name)
    if scale.size != 1:
        raise b.unsupported(f"input '{ir_name}' needs a per-tensor scale")
    return scale.reshape(())


@export_rule("qdq", "IntConv")
def int_conv_qdq(b: QdqBuilder, node: Node) -> None:
    x, w = node.inputs[:2]
    x_scale = per_tensor(b, x)
    w_real = b.real(w)
    acc_scale = x_scale * np.ravel(b.scale_of(w))
    inputs = [b.real(x), w_real]
    bias = qdq_bias(b, node, 2, acc_scale)
    if bias:
        inputs.append(bias)
    attrs = {key: node.attrs[key] for key in ("kernel_shape", "strides", "pads", "dilations",
                                              "group")}
    y = b.op("Conv", inputs, "float32", "conv", **attrs)
    rank = len(node.attrs["kernel_shape"]) + 2
    b.set_real(node.outputs[0], y, along_axis(acc_scale, 1, rank))


@export_rule("qdq", "IntMatMul")
def int_matmul_qdq(b: QdqBuilder, node: Node) -> None:
    a_name, b_name = node.inputs[:2]
    acc_scale = per_tensor(b, a_name) * b.scale_of(b_name)
    y = b.op("MatMul", [b.real(a_name), b.real(b_name)], "float32", "matmul")
    bias = qdq_bias(b, node, 2, acc_scale)
    if bias:
        y = b.op("Add", [y, bias], hint="biased")
    b.set_real(node.outputs[0], y, acc_scale)
