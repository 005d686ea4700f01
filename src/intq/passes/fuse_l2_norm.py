"""``Sqrt(ReduceSum(x²))`` → ``ReduceL2(x)``: one form for a vector's Euclidean norm.

Exports spell ``‖x‖₂`` either way (``x.pow(2).sum(-1, keepdim=True).sqrt()`` or
``x.norm(dim=-1)``); the integer lowering of L2 normalization (``x / ‖x‖``) matches the
ReduceL2 form. The squares may be ``Pow(x, 2)`` or ``Mul(x, x)``, read by the sum alone. The
float result moves by at most a few ulps (ReduceL2 rounds differently from the three ops).
"""

from __future__ import annotations

from intq.ir.graph import Graph, Node
from intq.passes.editing import new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, square_of
from intq.passes.registry import register_pass


@register_pass
def fuse_l2_norm(graph: Graph) -> bool:
    return rewrite_each(graph, {"Sqrt"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, sqrt: Node) -> bool:
    total = uses.made_by(sqrt.inputs[0], "ReduceSum")
    if total is None or not uses.private(total.outputs[0], sqrt):
        return False
    square = uses.producer.get(total.inputs[0])
    x = square_of(graph, square)
    if x is None or not uses.private(square.outputs[0], total):
        return False
    remove_nodes(graph, [square, total, sqrt])
    new_node(graph, "ReduceL2", [x, *total.inputs[1:]], [sqrt.outputs[0]], name=sqrt.name,
             attrs=total.attrs)
    return True
