"""IntLogSoftmax as int64 ONNX: row max, integer softmax's ``i_exp``, row sum, the log2 of
the sum from its bit length and a ``Gather`` from the same table, one rounding shift."""

from __future__ import annotations

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import (POW2, bit_length, clamp_cast, floor_pow2, int64, maximum,
                                   reduce_max, reduce_sum, round_shift, shift_left_by)
from intq.export.registry import export_rule
from intq.export.rules.softmax import i_exp
from intq.ir.graph import Node
from intq.ops.integer.logsoftmax import logsoftmax_plan
from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.nonlinear.logsoftmax import LOG2_TABLE, LOG_FRAC_BITS, LOG_INDEX_BITS


@export_rule("int", "IntLogSoftmax")
def int_log_softmax(b: OnnxBuilder, node: Node) -> None:
    plan = logsoftmax_plan(node.attrs)
    axis = int(node.attrs["axis"])

    def c(value: int, hint: str) -> str:
        return b.const(value, "int64", hint)

    q = int64(b, b.get(node.inputs[0]))
    bound = 1 << (plan.in_bits - 1)
    d = b.op("Sub", [q, reduce_max(b, q, [axis], bound)], hint="d")
    shape = b.ir_shape(node.inputs[0])
    count = shape[axis] if shape is not None and isinstance(shape[axis], int) else None
    total = reduce_sum(b, i_exp(b, d, plan.exp), [axis], 1, count, plan.exp.out_bound)
    top = b.op("Sub", [bit_length(b, total), c(1, "one")], hint="top")
    zero = c(0, "zero")
    right = maximum(b, b.op("Sub", [top, c(LOG_INDEX_BITS, "index_bits")]), zero)
    left = maximum(b, b.op("Sub", [c(LOG_INDEX_BITS, "index_bits"), top]), zero)
    head = floor_pow2(b, total, b.op("Gather", [b.const(POW2, hint="powers"), right]))
    index = b.op("Sub", [shift_left_by(b, head, left), c(1 << LOG_INDEX_BITS, "one_index")])
    log_total = b.op("Add", [b.op("Mul", [top, c(1 << LOG_FRAC_BITS, "one_log")]),
                             b.op("Gather", [b.const(LOG2_TABLE, hint="log2"), index])])
    scaled_d = b.op("Mul", [d, c(plan.m_d << LOG_FRAC_BITS, "m_d")])
    total_term = b.op("Mul", [log_total, c(plan.m_l, "m_l")])
    out = round_shift(b, b.op("Add", [b.op("Sub", [scaled_d, total_term]), c(plan.c, "c")]),
                      plan.shift)
    lo, hi = int_range(plan.out_bits, plan.out_signed)
    dtype = storage_dtype(plan.out_bits, plan.out_signed).name
    b.set(node.outputs[0], clamp_cast(b, out, lo, hi, dtype))
