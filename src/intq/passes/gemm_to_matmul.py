"""Gemm → MatMul (+ Add): one matrix-product op for quantization to handle, with constant
operands pre-transposed and ``alpha``/``beta`` folded into them (else applied by a Mul).

``alpha`` scales B rather than the product, a re-association within float rounding."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, const
from intq.passes.registry import register_pass


@register_pass
def gemm_to_matmul(graph: Graph) -> bool:
    return rewrite_each(graph, {"Gemm"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, gemm: Node) -> bool:
    attrs = gemm.attrs
    alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
    c = gemm.inputs[2] if len(gemm.inputs) > 2 and beta != 0.0 else ""
    remove_nodes(graph, [gemm])
    a = _operand(graph, gemm.inputs[0], attrs.get("transA", 0), 1.0, f"{gemm.name}_a")
    b = _operand(graph, gemm.inputs[1], attrs.get("transB", 0), alpha, f"{gemm.name}_weight")
    out = gemm.outputs[0]
    product = graph.unique_name(f"{gemm.name}_product") if c else out
    new_node(graph, "MatMul", [a, b], [product], name=f"{gemm.name}_matmul")
    if c:
        new_node(graph, "Add", [product, _operand(graph, c, 0, beta, f"{gemm.name}_bias")],
                 [out], name=f"{gemm.name}_bias")
    return True


def _operand(graph: Graph, name: str, transpose: int, factor: float, hint: str) -> str:
    """``name`` transposed and scaled by ``factor``: folded if constant, else by new nodes."""
    array = const(graph, name)
    if array is not None:
        if not transpose and factor == 1.0:
            return name
        folded = array.T.astype(np.float64) if transpose else array.astype(np.float64)
        return constant_like(graph, hint, folded * factor, array.dtype.name)
    dtype = graph.values[name].dtype
    if transpose:
        name = new_node(graph, "Transpose", [name], name=f"{hint}_t",
                        attrs={"perm": [1, 0]}).outputs[0]
    if factor != 1.0:
        scale = constant_like(graph, f"{hint}_scale", factor, dtype)
        name = new_node(graph, "Mul", [name, scale], name=f"{hint}_scale").outputs[0]
    return name
