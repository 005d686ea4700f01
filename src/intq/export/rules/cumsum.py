"""IntCumSum: ONNX CumSum in int32 when ``n max|x|`` fits it, else int64 (both exact in ONNX
Runtime, ``ort_support``), stored in the accumulator dtype."""

from __future__ import annotations

from intq.export.builder import OnnxBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import max_abs_of, product_dtype
from intq.ir.graph import Node
from intq.ops.integer.cumsum import static_length


@export_rule("int", "IntCumSum")
def int_cumsum(b: OnnxBuilder, node: Node) -> None:
    x, axis = node.inputs
    if b.constant_of(axis) is None:
        raise b.unsupported("axis must be a constant")
    length = static_length(b.ir_shape(x), b.constant_of(axis))
    out_dtype = b.graph.values[node.outputs[0]].dtype
    bound = max_abs_of(b, x) * length if length is not None else 1 << 62
    wide = b.cast(b.get(x), product_dtype(out_dtype, bound))
    y = b.op("CumSum", [wide, b.get(axis)], exclusive=int(node.attrs["exclusive"]),
             reverse=int(node.attrs["reverse"]))
    b.set(node.outputs[0], b.cast(y, out_dtype))
