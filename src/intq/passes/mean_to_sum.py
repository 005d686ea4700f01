"""Means over static axes → ``ReduceSum`` then ``Mul`` by the constant 1/N.

Integer lowering wants exactly this: an integer sum, then one dyadic rescale that absorbs
1/N. ``GlobalAveragePool`` is the mean over all spatial axes. Multiplying by 1/N instead of
dividing by N moves a result by at most one float ulp.
"""

from __future__ import annotations

import math

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, rank, reduce_axes
from intq.passes.registry import register_pass


@register_pass
def mean_to_sum(graph: Graph) -> bool:
    return rewrite_each(graph, {"ReduceMean", "GlobalAveragePool"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, node: Node) -> bool:
    x = node.inputs[0]
    value = graph.values[x]
    if value.shape is None or np.dtype(value.dtype).kind != "f":
        return False
    if node.op == "GlobalAveragePool":
        axes, keepdims = list(range(2, rank(graph, x))), 1
    else:
        axes, keepdims = reduce_axes(graph, node), node.attrs.get("keepdims", 1)
    if not axes or not all(isinstance(value.shape[a], int) for a in axes):
        return False
    count = math.prod(value.shape[a] for a in axes)
    if count == 0:
        return False
    remove_nodes(graph, [node])
    axes_const = graph.add_constant(f"{node.name}_axes", np.array(axes, dtype=np.int64))
    total = new_node(graph, "ReduceSum", [x, axes_const], name=f"{node.name}_sum",
                     attrs={"keepdims": keepdims})
    inverse = constant_like(graph, f"{node.name}_inv_count", 1.0 / count, value.dtype)
    new_node(graph, "Mul", [total.outputs[0], inverse], [node.outputs[0]], name=node.name)
    return True
