"""IntDiv and IntL2Normalize.

``int``: int64 arithmetic as in ``quant.divide``: the rounded quotient ``floor((2n + d) /
(2d))`` is an exact floor division (``int_arith.floor_pow2`` takes any positive divisor), the
divisor replaced by 1 and the result by 0 where it is not positive; the root is
``int_arith.i_sqrt``.

``qdq``: a float Div of the real inputs / a float LpNormalization, then fake-quantized.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import clamp_cast, floor_pow2, i_sqrt, int64, reduce_sum
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import max_abs_of
from intq.ir.graph import Node
from intq.quant.fixedpoint import storage_dtype


def rounded_div(b: OnnxBuilder, n: str, d: str) -> str:
    """``round(n / d)`` ties up for int64 ``n``, ``d``; 0 where ``d <= 0``."""
    zero = b.const(0, "int64", "zero")
    positive = b.op("Greater", [d, zero], "bool")
    safe = b.op("Where", [positive, d, b.const(1, "int64", "one")])
    two = b.const(2, "int64", "two")
    twice = b.op("Mul", [safe, two])
    q = floor_pow2(b, b.op("Add", [b.op("Mul", [n, two]), safe]), twice)
    return b.op("Where", [positive, q, zero], hint="quotient")


def _finish(b: OnnxBuilder, node: Node, y: str) -> None:
    attrs = node.attrs
    dtype = storage_dtype(attrs["bits"], bool(attrs["signed"])).name
    b.set(node.outputs[0], clamp_cast(b, y, int(attrs["lo"]), int(attrs["hi"]), dtype))


@export_rule("int", "IntDiv")
def int_div(b: OnnxBuilder, node: Node) -> None:
    a, d = (int64(b, b.get(i)) for i in node.inputs)
    n = b.op("Mul", [a, b.const(int(node.attrs["m"]), "int64", "m")])
    d = b.op("Mul", [d, b.const(1 << int(node.attrs["k"]), "int64", "pow2_k")])
    _finish(b, node, rounded_div(b, n, d))


@export_rule("int", "IntL2Normalize")
def int_l2_normalize(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    x = int64(b, b.get(node.inputs[0]))
    axis, shift = int(attrs["axis"]), int(attrs["shift"])
    bound = max_abs_of(b, node.inputs[0])
    count = b.ir_shape(node.inputs[0])[axis]
    squares = b.op("Mul", [x, x], hint="square")
    energy = reduce_sum(b, squares, [axis], 1, count, bound * bound)
    energy = b.op("Mul", [energy, b.const(1 << (2 * shift), "int64", "pow4_shift")])
    n = b.op("Mul", [x, b.const(int(attrs["out_max"]) << shift, "int64", "out_max")])
    _finish(b, node, rounded_div(b, n, i_sqrt(b, energy)))


@export_rule("qdq", "IntDiv")
def int_div_qdq(b: QdqBuilder, node: Node) -> None:
    out = node.outputs[0]
    scale = b.output_scale(out)
    r = b.op("Div", [b.real(node.inputs[0]), b.real(node.inputs[1])], hint="quotient")
    attrs = node.attrs
    q = b.fake_quantize(r, scale, int(attrs["bits"]), bool(attrs["signed"]),
                        int(attrs["lo"]), int(attrs["hi"]))
    b.set_real(out, q, np.asarray(scale))


@export_rule("qdq", "IntL2Normalize")
def int_l2_normalize_qdq(b: QdqBuilder, node: Node) -> None:
    out = node.outputs[0]
    attrs = node.attrs
    scale = 1.0 / int(attrs["out_max"])
    r = b.op("LpNormalization", [b.real(node.inputs[0])], axis=int(attrs["axis"]), p=2)
    q = b.fake_quantize(r, scale, int(attrs["bits"]), bool(attrs["signed"]),
                        int(attrs["lo"]), int(attrs["hi"]))
    b.set_real(out, q, np.asarray(scale))
