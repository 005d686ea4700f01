"""Read-only questions rewrites ask about a graph while matching patterns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def monomial(graph: Graph, uses: Uses, value: str, user: Node
             ) -> tuple[float, dict[str, int], list[Node]]:
    """``value`` as ``c · ∏ leafᵏ``: the tree of Mul and Pow-by-integer nodes that make it
    for ``user`` alone, flattened. Returns c, the leaves' powers and the tree's nodes; a value
    not made that way is its own leaf (power 1)."""
    array = const(graph, value)
    if array is not None and array.size == 1:
        return float(array.reshape(())), {}, []
    node = uses.producer.get(value)
    exponent = scalar(graph, node.inputs[1]) if node is not None and node.op == "Pow" else None
    if node is None or not uses.private(value, user) or not (
            node.op == "Mul" and len(node.inputs) == 2
            or exponent is not None and exponent == int(exponent) and exponent > 0):
        return 1.0, {value: 1}, []
    if node.op == "Pow":
        c, powers, nodes = monomial(graph, uses, node.inputs[0], node)
        k = int(exponent)
        return c ** k, {leaf: p * k for leaf, p in powers.items()}, [*nodes, node]
    coefficient, powers, nodes = 1.0, {}, []
    for operand in node.inputs:
        c, operand_powers, operand_nodes = monomial(graph, uses, operand, node)
        coefficient *= c
        for leaf, p in operand_powers.items():
            powers[leaf] = powers.get(leaf, 0) + p
        nodes += [n for n in operand_nodes if all(n is not m for m in nodes)]
    return coefficient, powers, [*nodes, node]


def closed(uses: Uses, nodes: list[Node], out: str) -> bool:
    """Whether a matched pattern can become one node: no node twice, and every value it
    makes but ``out`` feeds only the pattern's nodes (and is no graph output)."""
    members = {id(n) for n in nodes}
    return len(members) == len(nodes) and all(
        o == out or (o not in uses.outputs and all(id(u) in members for u in uses.users(o)))
        for n in nodes for o in n.outputs)


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


def square_of(graph: Graph, node: Node | None) -> str | None:
    """``v`` when ``node`` is ``Pow(v, 2)`` or ``Mul(v, v)``."""
    if node is None:
        return None
    if node.op == "Pow" and is_scalar(graph, node.inputs[1], 2.0):
        return node.inputs[0]
    if node.op == "Mul" and len(node.inputs) == 2 and node.inputs[0] == node.inputs[1]:
        return node.inputs[0]
    return None


def mean_of(graph: Graph, uses: Uses, value: str
            ) -> tuple[str, list[int], bool, list[Node]] | None:
    """``(x, axes, keepdims, nodes)`` when ``value`` is the mean of ``x`` over static ``axes``:
    ``ReduceMean``, or ``ReduceSum`` then ``Mul`` by 1/n or ``Div`` by n."""
    node = uses.producer.get(value)
    if node is None:
        return None
    if node.op == "ReduceMean":
        axes = reduce_axes(graph, node)
        return None if axes is None else (node.inputs[0], axes, bool(node.attrs.get(
            "keepdims", 1)), [node])
    if node.op not in ("Mul", "Div") or len(node.inputs) != 2:
        return None
    for total_name, factor in ((node.inputs[0], node.inputs[1]),
                               *([(node.inputs[1], node.inputs[0])] if node.op == "Mul" else [])):
        total = uses.made_by(total_name, "ReduceSum")
        axes = reduce_axes(graph, total) if total is not None else None
        c = scalar(graph, factor)
        shape = graph.values[total.inputs[0]].shape if axes is not None else None
        if c is None or shape is None or any(not isinstance(shape[a], int) for a in axes):
            continue
        n = int(np.prod([shape[a] for a in axes]))
        if np.isclose(c, 1.0 / n if node.op == "Mul" else n, rtol=1e-6, atol=0.0):
            return total.inputs[0], axes, bool(total.attrs.get("keepdims", 1)), [total, node]
    return None


LAYOUT_OPS = ("Reshape", "Unsqueeze", "Expand")
"""Ops that bring a reduced statistic back into its tensor's layout (``through_broadcast``)."""


def laid_out_statistic(graph: Graph, uses: Uses, value: str, x_rank: int,
                       find: Callable[[str], tuple[list[int], bool] | None]
                       ) -> tuple[str, list[int], list[Node]] | None:
    """``(statistic, axes, layout)`` when ``value`` is a statistic of a rank-``x_rank`` tensor
    laid out to broadcast against it: kept dims, or ``LAYOUT_OPS`` that provably only put the
    reduced axes back (``through_broadcast``). ``find(v)`` recognises the statistic and gives
    its ``(axes, keepdims)``; the chain is walked down to it first, since its axes decide which
    layouts are sound."""
    candidate = value
    for _ in range(8):
        found = find(candidate)
        if found is not None:
            axes, keepdims = found
            base, layout = through_broadcast(graph, uses, value, axes, x_rank)
            if base != candidate or (not keepdims and not layout):
                return None
            return base, axes, layout
        node = uses.producer.get(candidate)
        if node is None or node.op not in LAYOUT_OPS:
            return None
        candidate = node.inputs[0]
    return None


def through_broadcast(graph: Graph, uses: Uses, value: str, axes: list[int], x_rank: int
                      ) -> tuple[str, list[Node]]:
    """The statistic behind ``value`` and the layout nodes in between: ``value`` may be a
    statistic over ``axes`` of a rank-``x_rank`` tensor brought back into that tensor's layout
    by Reshape/Unsqueeze (inserting the reduced axes as ones) and Expand (broadcasting). The
    chain is followed only while it provably keeps every element where broadcasting puts it;
    where it stops, the caller finds a plain value."""
    nodes: list[Node] = []
    seen_reshape = False
    while True:
        node = uses.producer.get(value)
        if node is None or node.op not in LAYOUT_OPS:
            return value, nodes[::-1]
        source = node.inputs[0]
        if node.op == "Expand":
            if seen_reshape:   # a reshape after a broadcast could move elements
                return value, nodes[::-1]
        elif not _inserts_ones(graph.values[source].shape, graph.values[value].shape, axes,
                               x_rank):
            return value, nodes[::-1]
        else:
            seen_reshape = True
        nodes.append(node)
        value = source


def _inserts_ones(source: Any, target: Any, axes: list[int], x_rank: int) -> bool:
    """Whether reshaping ``source`` to ``target`` (rank ``x_rank``) only inserts size-one dims
    at ``axes`` (or keeps them): the other dims must agree, one unknown dim at most, which
    the element count then pins."""
    if source is None or target is None or len(target) != x_rank:
        return False
    if any(target[a] != 1 for a in axes):
        return False
    kept = [d for i, d in enumerate(target) if i not in axes]
    if len(source) == x_rank:
        source = [d for i, d in enumerate(source) if i not in axes]
    if len(source) != len(kept):
        return False
    unknown = 0
    for s, t in zip(source, kept):
        if isinstance(s, int) and isinstance(t, int):
            if s != t:
                return False
        elif s != t or s == "?":
            unknown += 1
    return unknown <= 1
