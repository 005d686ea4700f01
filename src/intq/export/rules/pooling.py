"""IntSumPool: window sums as an Add over kernel taps (strided Slices of the padded input).

``int``: the sums run in int32 when ``max|x| * kernel size`` fits it, else in int64; the
AveragePool divisor is not here but in the following Requantize.

``qdq``: AveragePool (count_include_pad), whose natural scale is ``s_x / kernel size``, so the
following Requantize needs no extra multiply.
"""

from __future__ import annotations

import math

from intq.export.builder import OnnxBuilder
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import max_abs_of, product_dtype
from intq.export.windows import pad_spatial, tap_slices
from intq.ir.graph import Node


@export_rule("int", "IntSumPool")
def int_sum_pool(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    kernel = list(attrs["kernel_shape"])
    out_dtype = b.graph.values[node.outputs[0]].dtype
    dtype = product_dtype(out_dtype, max_abs_of(b, node.inputs[0]) * math.prod(kernel))
    x = pad_spatial(b, b.cast(b.get(node.inputs[0]), dtype), attrs["pads"])
    taps = tap_slices(b, x, kernel, attrs["strides"], attrs["dilations"],
                      range(2, 2 + len(kernel)))
    total = taps[0]
    for tap in taps[1:]:
        total = b.op("Add", [total, tap], hint="sum")
    b.set(node.outputs[0], b.cast(total, out_dtype))


@export_rule("qdq", "IntSumPool")
def int_sum_pool_qdq(b: QdqBuilder, node: Node) -> None:
    attrs = node.attrs
    if any(d != 1 for d in attrs["dilations"]) and b.opset < 19:
        raise b.unsupported("AveragePool has dilations from opset 19; export with opset=19")
    extra = {"dilations": attrs["dilations"]} if b.opset >= 19 else {}
    y = b.op("AveragePool", [b.real(node.inputs[0])], "float32", "mean",
             kernel_shape=attrs["kernel_shape"], strides=attrs["strides"], pads=attrs["pads"],
             count_include_pad=1, **extra)
    b.set_real(node.outputs[0], y,
               b.scale_of(node.inputs[0]) / math.prod(attrs["kernel_shape"]))
