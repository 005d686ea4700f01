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
from intq.passes.matching import Uses, closed, laid_out_statistic, rank, reduce_axes, scalar
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
    found = _reduction(graph, uses, total, "ReduceSum", e, r)
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


def _reduction(graph: Graph, uses: Uses, value: str, op: str, source: str, r: int
               ) -> tuple[int, list[Node]] | None:
    """``(axis, nodes)`` when ``value`` is the ``op`` reduction of ``source`` over one axis
    (optionally clamped from below by a constant, ``Max(c, reduce)``), laid out to broadcast
    against ``source``."""
    def reduce_of(v: str) -> tuple[Node, list[Node]] | None:
        clamp = uses.made_by(v, "Max")
        if clamp is not None and len(clamp.inputs) == 2 and op == "ReduceMax":
            for inner, bound in (clamp.inputs, clamp.inputs[::-1]):
                if scalar(graph, bound) is not None and uses.made_by(inner, op):
                    return uses.made_by(inner, op), [clamp]
        reduce = uses.made_by(v, op)
        return None if reduce is None else (reduce, [])

    def find(v: str) -> tuple[list[int], bool] | None:
        found = reduce_of(v)
        if found is None or found[0].inputs[0] != source:
            return None
        axes = reduce_axes(graph, found[0])
        return None if axes is None or len(axes) != 1 else (
            axes, bool(found[0].attrs.get("keepdims", 1)))

    laid_out = laid_out_statistic(graph, uses, value, r, find)
    if laid_out is None:
        return None
    base, axes, layout = laid_out
    reduce, clamp = reduce_of(base)
    return axes[0], [reduce, *clamp, *layout]


def _unshifted(graph: Graph, uses: Uses, value: str, axis: int, r: int
               ) -> tuple[str, list[Node]]:
    """``(z, nodes)`` for ``value = z - max(z)`` over ``axis`` (else ``value`` itself, no
    nodes): subtracting the maximum only keeps ``exp`` finite, softmax is the same."""
    sub = uses.made_by(value, "Sub")
    if sub is None:
        return value, []
    z, shift = sub.inputs
    found = _reduction(graph, uses, shift, "ReduceMax", z, r)
    if found is None or found[0] != axis:
        return value, []
    return z, [*found[1], sub]
