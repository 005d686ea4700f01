"""Shape and dtype inference over a whole graph, one op rule at a time."""

from __future__ import annotations

from intq.errors import GraphError
from intq.ir.graph import Graph
from intq.ops.registry import get_op


def infer_shapes(graph: Graph) -> None:
    """Set the type of every node output from its op's ``infer`` rule (nodes in topo order)."""
    for node in graph.nodes:
        opdef = get_op(node.op, node.name)
        types = [graph.values[i].type if i else None for i in node.inputs]
        consts = [graph.constants.get(i) if i else None for i in node.inputs]
        try:
            outs = opdef.infer(node.attrs, types, consts)
        except ValueError as exc:
            raise GraphError(f"node '{node.name}' ({node.op}): {exc}") from None
        for name, t in zip(node.outputs, outs):
            if name:
                value = graph.values[name]
                value.shape, value.dtype = t.shape, t.dtype
