"""Graph edits shared by the rewrites: swapping nodes and tidying up after a pass."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

import numpy as np

from intq.ir.graph import Graph, Node
from intq.ops.infer import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.passes.matching import Uses

Rewrite = Callable[[Graph, Uses, Node], bool]
"""Tries one pattern at one node: edits the graph and returns True, or returns False untouched."""


def new_node(graph: Graph, op: str, inputs: list[str], outputs: list[str] | int = 1,
             name: str | None = None, attrs: dict[str, Any] | None = None) -> Node:
    """Append a node with its attributes normalized (every default present, as the IR wants)."""
    node_name = graph.unique_name(name or op.lower())
    return graph.add_node(op, inputs, outputs, name=node_name,
                          attrs=normalize_attrs(op, attrs or {}, node_name))


def remove_nodes(graph: Graph, nodes: Iterable[Node]) -> None:
    doomed = {id(n) for n in nodes}
    graph.nodes = [n for n in graph.nodes if id(n) not in doomed]


def bypass(graph: Graph, node: Node, source: str) -> bool:
    """Drop ``node`` (one output) and let its readers read ``source``; refuse (return False) when
    the output is a graph output that cannot take over ``source``'s name."""
    out = node.outputs[0]
    if out in graph.outputs and (source in graph.inputs or source in graph.constants
                                 or source in graph.outputs):
        return False
    graph.remove_node(node)
    graph.replace_uses(out, source)
    return True


def constant_like(graph: Graph, hint: str, array: np.ndarray, dtype: str) -> str:
    return graph.add_constant(hint, np.asarray(array).astype(dtype))


def finish(graph: Graph) -> None:
    """Restore the invariants every pass promises: no dead nodes, topological order, types."""
    graph.toposort()
    graph.prune()
    infer_shapes(graph)


def rewrite_each(graph: Graph, ops: Collection[str], rewrite: Rewrite) -> bool:
    """Offer every node of type ``ops`` to ``rewrite`` until none matches; tidy up if any did.

    After an edit the scan restarts on fresh producer/consumer maps, so a rewrite never sees
    stale ones (matches are few, so the restarts cost little).
    """
    changed = False
    while True:
        uses = Uses(graph)
        for node in graph.nodes:
            if node.op in ops and rewrite(graph, uses, node):
                changed = True
                break
        else:
            break
    if changed:
        finish(graph)
    return changed
