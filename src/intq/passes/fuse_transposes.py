"""Transpose chains → at most one Transpose: ``Transpose(Transpose(x, p), q)`` is
``Transpose(x, p[q])``, an identity permutation is dropped, a constant is transposed once."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import bypass, rewrite_each
from intq.passes.matching import Uses, rank
from intq.passes.registry import register_pass


@register_pass
def fuse_transposes(graph: Graph) -> bool:
    return rewrite_each(graph, {"Transpose"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, node: Node) -> bool:
    x = node.inputs[0]
    perm = permutation(graph, node)
    if perm is None:
        return False
    if x in graph.constants:
        out = node.outputs[0]
        graph.remove_node(node)
        del graph.values[out]
        graph.add_constant(out, np.ascontiguousarray(graph.constants[x].transpose(perm)),
                           exact_name=True)
        return True
    if perm == list(range(len(perm))):
        return bypass(graph, node, x)
    inner = uses.made_by(x, "Transpose")
    inner_perm = permutation(graph, inner) if inner is not None else None
    if inner_perm is None:
        return False
    node.inputs[0] = inner.inputs[0]
    node.attrs["perm"] = [inner_perm[p] for p in perm]
    return True


def permutation(graph: Graph, node: Node) -> list[int] | None:
    """A Transpose's permutation; the default (no ``perm``) reverses the axes."""
    perm = node.attrs.get("perm")
    if perm:
        return [int(p) for p in perm]
    r = rank(graph, node.inputs[0])
    return None if r is None else list(range(r))[::-1]
