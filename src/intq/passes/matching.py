"""Read-only questions rewrites ask about a graph while matching patterns."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node


class Uses:
    """Producer and consumer lookups for one snapshot of a graph (rebuild after editing)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.producer = graph.producers()
        self.consumers = {value: list({id(n): n for n in nodes}.values())
                          for value, nodes in graph.consumers().items()}
        self.outputs = set(graph.outputs)

    def users(self, value: str) -> list[Node]:
        """Nodes reading ``value``, each once (``Mul(d, d)`` is one user)."""
        return self.consumers.get(value, [])

    def sole_user(self, value: str) -> Node | None:
        """The only consumer of ``value`` when the value is internal (no graph output)."""
        users = self.users(value)
        if len(users) != 1 or value in self.outputs:
            return None
        return users[0]

    def private(self, value: str, user: Node) -> bool:
        """Whether ``value`` feeds nothing but ``user`` (so ``user`` may absorb its producer)."""
        return (value not in self.outputs and value not in self.graph.inputs
                and all(n is user for n in self.users(value)))

    def made_by(self, value: str, op: str) -> Node | None:
        node = self.producer.get(value)
        return node if node is not None and node.op == op else None


def const(graph: Graph, name: str) -> np.ndarray | None:
    return graph.constants.get(name) if name else None


def scalar(graph: Graph, name: str) -> float | None:
    """The value of a one-element constant, else ``None``."""
    array = const(graph, name)
    if array is None or array.size != 1:
        return None
    return float(array.reshape(()))


def is_scalar(graph: Graph, name: str, target: float, rtol: float = 1e-6) -> bool:
    value = scalar(graph, name)
    return value is not None and abs(value - target) <= rtol * max(abs(target), 1e-30)


def other_input(node: Node, name: str) -> str | None:
    """For a binary node reading ``name`` once, its other operand."""
    if len(node.inputs) != 2 or node.inputs.count(name) != 1:
        return None
    return node.inputs[1 - node.inputs.index(name)]


def rank(graph: Graph, name: str) -> int | None:
    shape = graph.values[name].shape
    return None if shape is None else len(shape)


def reduce_axes(graph: Graph, node: Node) -> list[int] | None:
    """The sorted non-negative axes a Reduce* node reduces, or None if not static or a no-op."""
    r = rank(graph, node.inputs[0])
    if r is None:
        return None
    name = node.inputs[1] if len(node.inputs) > 1 else ""
    if name:
        axes = const(graph, name)
        if axes is None:
            return None
        axes = axes.ravel().tolist()
    else:
        axes = node.attrs.get("axes") or []
    if not axes:
        return None if node.attrs.get("noop_with_empty_axes", 0) else list(range(r))
    if any(not -r <= a < r for a in axes):
        return None
    return sorted({a % r for a in axes})
