"""IntSoftmax: I-BERT's integer softmax (``quant.nonlinear.softmax``) step by step in int64.

``int``: the row maximum (masked positions and the input minimum left out), ``i_exp`` (one
dyadic rescale, an exact shift by ``EXP_FRAC_BITS``, the integer polynomial, a per-element
rounding shift by ``min(z, ZERO_SHIFT)`` through gathered powers of two), the row sum and
the rounded integer division, exactly as the kernel computes them.

``qdq``: float Softmax with the same positions left out (masked, or at the input minimum),
fake-quantized to the output grid ``2^-bits``.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import (clamp_cast, int64, maximum, minimum, reduce_max, reduce_sum,
                                   round_shift, round_shift_by)
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import per_tensor
from intq.ir.graph import Node
from intq.ops.integer import softmax_plan
from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.nonlinear.exp import EXP_FRAC_BITS, ZERO_SHIFT, ExpPlan


def i_exp(b: OnnxBuilder, t: str, plan: ExpPlan) -> str:
    """``quant.nonlinear.i_exp`` of non-positive int64 ``t``."""
    def c(value: int, hint: str) -> str:
        return b.const(value, "int64", hint)

    t = maximum(b, t, c(-plan.in_clamp, "in_clamp"))
    t = round_shift(b, b.op("Mul", [t, c(plan.m, "m")]), plan.k)
    z = b.op("Div", [b.op("Neg", [t]), c(1 << EXP_FRAC_BITS, "ln2")], hint="z")
    p = b.op("Add", [t, b.op("Mul", [z, c(1 << EXP_FRAC_BITS, "ln2")])], hint="p")
    shifted = b.op("Add", [p, c(plan.poly_b, "poly_b")])
    poly = b.op("Add", [b.op("Mul", [shifted, shifted]), c(plan.poly_c, "poly_c")], hint="poly")
    return round_shift_by(b, poly, minimum(b, z, c(ZERO_SHIFT, "zero_shift")))


@export_rule("int", "IntSoftmax")
def int_softmax(b: OnnxBuilder, node: Node) -> None:
    plan = softmax_plan(node.attrs)
    axis = int(node.attrs["axis"])
    lo = int_range(plan.in_bits, True)[0]
    lo_c = b.const(lo, "int64", "in_lo")
    zero = b.const(0, "int64", "zero")
    q = int64(b, b.get(node.inputs[0]))
    drop = b.op("Equal", [q, lo_c], "bool", "drop")
    if len(node.inputs) > 1 and node.inputs[1]:
        drop = b.op("Or", [drop, b.get(node.inputs[1])], "bool", "drop")
    row_max = reduce_max(b, b.op("Where", [drop, lo_c, q], "int64"), [axis], -lo)
    e = i_exp(b, minimum(b, b.op("Sub", [q, row_max]), zero), plan.exp)
    e = b.op("Where", [drop, zero, e], "int64", "exp")
    shape = b.ir_shape(node.inputs[0])
    count = shape[axis] if shape is not None and isinstance(shape[axis], int) else None
    total = reduce_sum(b, e, [axis], 1, count, plan.exp.out_bound)
    numerator = b.op("Add", [b.op("Mul", [e, b.const(1 << (plan.out_bits + 1), "int64")]),
                             total])
    denominator = maximum(b, b.op("Mul", [total, b.const(2, "int64", "two")]),
                          b.const(1, "int64", "one"))
    prob = b.op("Div", [numerator, denominator], hint="prob")
    dtype = storage_dtype(plan.out_bits, False).name
    b.set(node.outputs[0], clamp_cast(b, prob, 0, (1 << plan.out_bits) - 1, dtype))


@export_rule("qdq", "IntSoftmax")
def int_softmax_qdq(b: QdqBuilder, node: Node) -> None:
    q, out = node.inputs[0], node.outputs[0]
    in_lo = int_range(int(node.attrs["in_bits"]), True)[0]
    r = b.real(q)
    floor = b.const((in_lo + 0.5) * float(per_tensor(b, q)), "float32", "in_lo")
    drop = b.op("Less", [r, floor], "bool", "drop")
    if len(node.inputs) > 1 and node.inputs[1]:
        drop = b.op("Or", [drop, b.get(node.inputs[1])], "bool", "drop")
    lowest = b.const(np.finfo(np.float32).min, "float32", "lowest")
    p = b.op("Softmax", [b.op("Where", [drop, lowest, r], "float32")],
             axis=int(node.attrs["axis"]))
    p = b.op("Where", [drop, b.const(0.0, "float32", "zero"), p], "float32", "prob")
    scale = b.output_scale(out)
    b.set_real(out, b.fake_quantize(p, scale, int(node.attrs["bits"]), False), np.asarray(scale))
