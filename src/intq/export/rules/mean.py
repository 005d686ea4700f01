"""IntMean: the exact int64 sum, the count from the input's run-time shape, and one floor
division ``floor((2^(f+1) sum + count) / (2 count))`` (round half up), as the op computes.

``qdq``: ReduceMean of the real input, on the grid ``s_x / 2^frac_bits``.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import floor_pow2, reduce, reduce_sum
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import max_abs_of
from intq.ir.graph import Node
from intq.ops.reduce import reduced_axes


def _axes(b: OnnxBuilder | QdqBuilder, node: Node) -> list[int]:
    name = node.inputs[1] if len(node.inputs) > 1 else ""
    axes = b.constant_of(name) if name else None
    if name and axes is None:
        raise b.unsupported("axes must be a constant")
    return sorted(reduced_axes(axes, b.rank(node.inputs[0]), 0))


@export_rule("int", "IntMean")
def int_mean(b: OnnxBuilder, node: Node) -> None:
    x = node.inputs[0]
    axes = _axes(b, node)
    frac = int(node.attrs["frac_bits"])
    keepdims = int(node.attrs["keepdims"])
    wide = b.cast(b.get(x), "int64")
    total = reduce_sum(b, wide, axes, keepdims, None, max_abs_of(b, x))
    sizes = b.op("Gather", [b.op("Shape", [wide], "int64"), b.const(axes, "int64", "axes")],
                 "int64", "sizes")
    count = reduce(b, "ReduceProd", sizes, [0], keepdims=0)
    numerator = b.op("Add", [b.op("Mul", [total, b.const(1 << (frac + 1), "int64", "scale")]),
                             count], hint="numerator")
    mean = floor_pow2(b, numerator, b.op("Mul", [count, b.const(2, "int64", "two")]))
    b.set(node.outputs[0], b.cast(mean, b.graph.values[node.outputs[0]].dtype))


@export_rule("qdq", "IntMean")
def int_mean_qdq(b: QdqBuilder, node: Node) -> None:
    x = node.inputs[0]
    y = reduce(b, "ReduceMean", b.real(x), _axes(b, node), int(node.attrs["keepdims"]))
    b.set_real(node.outputs[0], y, b.scale_of(x) / np.float64(1 << int(node.attrs["frac_bits"])))
