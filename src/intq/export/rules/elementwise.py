"""IntAdd and IntMul, elementwise with broadcasting.

``int``: IntAdd sums ``m_i * x_i`` in int64 and rounds once (``int_arith.round_shift``), as the
kernel does; IntMul multiplies in int32 when ``max|a| * max|b|`` fits it, else in int64.

``qdq``: IntAdd is a float Add/Sub of the real inputs, each weighted by ``m_i s_out /
(2^k s_i)`` when that is not ±1, then fake-quantized; IntMul is a float Mul.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import clamp_cast, int64, round_shift
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import max_abs_of, product_dtype
from intq.ir.graph import Node
from intq.quant.fixedpoint import storage_dtype


@export_rule("int", "IntAdd")
def int_add(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    total = ""
    for name, mult in zip(node.inputs, attrs["multipliers"]):
        x = int64(b, b.get(name))
        term = x if mult == 1 else b.op("Mul", [x, b.const(int(mult), "int64", "m")])
        total = b.op("Add", [total, term], hint="sum") if total else term
    y = round_shift(b, total, int(attrs["shift"]))
    dtype = storage_dtype(attrs["bits"], bool(attrs["signed"])).name
    b.set(node.outputs[0], clamp_cast(b, y, int(attrs["lo"]), int(attrs["hi"]), dtype))


@export_rule("int", "IntMul")
def int_mul(b: OnnxBuilder, node: Node) -> None:
    a_name, b_name = node.inputs
    out_dtype = b.graph.values[node.outputs[0]].dtype
    dtype = product_dtype(out_dtype, max_abs_of(b, a_name) * max_abs_of(b, b_name))
    y = b.op("Mul", [b.get_as(a_name, dtype), b.get_as(b_name, dtype)], hint="product")
    b.set(node.outputs[0], b.cast(y, out_dtype))


@export_rule("qdq", "IntAdd")
def int_add_qdq(b: QdqBuilder, node: Node) -> None:
    attrs = node.attrs
    out = node.outputs[0]
    scale = b.output_scale(out)
    total = ""
    for name, mult in zip(node.inputs, attrs["multipliers"]):
        weight = mult * scale / (2.0 ** int(attrs["shift"]) * b.scale_of(name))
        negate = bool(np.all(weight < 0))
        term = b.rescale(b.real(name), -weight if negate else weight)
        if not total:
            total = b.op("Neg", [term]) if negate else term
        else:
            total = b.op("Sub" if negate else "Add", [total, term], hint="sum")
    r = b.fake_quantize(total, scale, int(attrs["bits"]), bool(attrs["signed"]),
                        int(attrs["lo"]), int(attrs["hi"]))
    b.set_real(out, r, np.asarray(scale))


@export_rule("qdq", "IntMul")
def int_mul_qdq(b: QdqBuilder, node: Node) -> None:
    a_name, b_name = node.inputs
    b.set_real(node.outputs[0], b.op("Mul", [b.real(a_name), b.real(b_name)], hint="product"),
               b.scale_of(a_name) * b.scale_of(b_name))
