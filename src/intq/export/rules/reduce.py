"""IntReduceSum: ONNX ReduceSum in int32 (when ``max|x| * count`` fits it) or exact int64
(``int_arith.reduce_sum``).

``qdq``: ReduceMean of the real input when the count is static (natural scale ``s_x /
count``, so a global average pool's Requantize needs no extra multiply), else ReduceSum.
"""

from __future__ import annotations

import math

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import reduce, reduce_sum
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import max_abs_of, product_dtype
from intq.ir.graph import Node


def reduced_count(shape: tuple | None, axes: np.ndarray | None, noop: bool) -> int | None:
    """How many values each sum adds, when the shape says (``None``: unknown)."""
    if shape is None:
        return None
    if axes is None or not axes.size:
        sizes = [] if noop else list(shape)
    else:
        sizes = [shape[int(a)] for a in axes.reshape(-1)]
    return math.prod(sizes) if all(isinstance(d, int) for d in sizes) else None


@export_rule("int", "IntReduceSum")
def int_reduce_sum(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    axes_name = node.inputs[1] if len(node.inputs) > 1 else ""
    if axes_name and b.constant_of(axes_name) is None:
        raise b.unsupported("axes must be a constant")
    count = reduced_count(b.ir_shape(node.inputs[0]), b.constant_of(axes_name),
                          bool(attrs["noop_with_empty_axes"]))
    out_dtype = b.graph.values[node.outputs[0]].dtype
    largest = max_abs_of(b, node.inputs[0])
    bound = largest * count if count is not None else 1 << 62
    x = b.cast(b.get(node.inputs[0]), product_dtype(out_dtype, bound))
    axes = b.constant_of(axes_name)
    if axes is not None and axes.size:
        axes_list: list[int] | None = [int(a) for a in axes.reshape(-1)]
    elif attrs["noop_with_empty_axes"]:
        b.set(node.outputs[0], b.cast(x, out_dtype))
        return
    else:
        axes_list = None
    y = reduce_sum(b, x, axes_list, int(attrs["keepdims"]), count, largest)
    b.set(node.outputs[0], b.cast(y, out_dtype))


@export_rule("qdq", "IntReduceSum")
def int_reduce_sum_qdq(b: QdqBuilder, node: Node) -> None:
    attrs = node.attrs
    x = node.inputs[0]
    axes_name = node.inputs[1] if len(node.inputs) > 1 else ""
    axes = b.constant_of(axes_name)
    if axes_name and axes is None:
        raise b.unsupported("axes must be a constant")
    if axes is None or not axes.size:
        if attrs["noop_with_empty_axes"]:
            b.set_real(node.outputs[0], b.real(x), b.scale_of(x))
            return
        axes = np.arange(b.rank(x))
    count = reduced_count(b.ir_shape(x), axes, False)
    op_type = "ReduceSum" if count is None else "ReduceMean"
    y = reduce(b, op_type, b.real(x), [int(a) for a in axes.reshape(-1)],
               int(attrs["keepdims"]))
    b.set_real(node.outputs[0], y, b.scale_of(x) / (count or 1))
