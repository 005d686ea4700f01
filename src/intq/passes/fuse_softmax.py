"""Decomposed softmax → one ``Softmax`` node (the integer softmax kernel, exact masking).

Matched: ``e / sum(e)`` with ``e = exp(z - max(z))`` or ``e = exp(z)``, over one static axis,
the statistics with kept dims or reduced and brought back by Reshape/Unsqueeze and Expand
(TensorFlow and JAX exports), the maximum optionally clamped from below by a constant (JAX's
``max(-inf, max(z))``). Piece by piece, the exponentials and their sum would each get one
int8 grid and the division would stay float; fused, the model's probabilities come from one
integer kernel. ``e`` and every statistic must feed only the pattern.
"""

from __future__ import annotations

from intq.ir.graph import Graph, Node
from intq.passes.editing import new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, closed, rank, reduce_axes, scalar, through_broadcast
from intq.passes.registry import register_pass


@register_pass
def fuse_softmax(graph: Graph) -> bool:
    return rewrite_each(graph, {"Div"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, div: Node) -> bool:
    e, total = div.inputs
    exp = uses.made_by(e, "Exp")
    r = rank(graph, e)
    if exp is None or r is None:
        return False
    found = _statistic(graph, uses, total, "ReduceSum", e, r)
    if found is None:
        return False
    axis, sum_nodes = found
    z, shift_nodes = _unshifted(graph, uses, exp.inputs[0], axis, r)
    nodes = [*shift_nodes, exp, *sum_nodes, div]
    if not closed(uses, nodes, div.outputs[0]):
        return False
    remove_nodes(graph, nodes)
    new_node(graph, "Softmax", [z], [div.outputs[0]], name=div.name, attrs={"axis": axis})
    return True


def _statistic(graph: Graph, uses: Uses, value: str, op: str, source: str, r: int
               ) -> tuple[int, list[Node]] | None:
    """``(axis, nodes)`` when ``value`` is ``op`` (a reduction) of ``source`` over one axis,
    laid out to broadcast against ``source``."""
    for axis in range(r):
        base, layout = through_broadcast(graph, uses, value, [axis], r)
        reduce = uses.made_by(base, op)
        if reduce is None or reduce.inputs[0] != source or reduce_axes(graph, reduce) != [axis]:
            continue
        if not reduce.attrs.get("keepdims", 1) and not layout:
            continue
        return axis, [reduce, *layout]
    return None


def _unshifted(graph: Graph, uses: Uses, value: str, axis: int, r: int
               ) -> tuple[str, list[Node]]:
    """``(z, nodes)`` for ``value = z - max(z)`` over ``axis`` (else ``value`` itself, no
    nodes): subtracting the maximum only keeps ``exp`` finite, softmax is the same."""
    sub = uses.made_by(value, "Sub")
    if sub is None:
        return value, []
    z, shift = sub.inputs
    base, layout = through_broadcast(graph, uses, shift, [axis], r)
    clamp = uses.made_by(base, "Max")
    nodes: list[Node] = []
    if clamp is not None and len(clamp.inputs) == 2:
        for inner, bound in (clamp.inputs, clamp.inputs[::-1]):
            if scalar(graph, bound) is not None and uses.made_by(inner, "ReduceMax"):
                base, nodes = inner, [clamp]
                break
    reduce = uses.made_by(base, "ReduceMax")
    if (reduce is None or reduce.inputs[0] != z or reduce_axes(graph, reduce) != [axis]
            or (not reduce.attrs.get("keepdims", 1) and not layout)):
        return value, []
    return z, [reduce, *nodes, *layout, sub]
