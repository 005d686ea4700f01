"""Decomposed GELU → one ``Gelu`` node, so quantization can give it one integer kernel.

Matched: ``x · 0.5 · (1 + erf(x / √2))`` (``approximate="none"``) and
``x · 0.5 · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`` (``approximate="tanh"``), with
``/√2`` as Div or as Mul by 1/√2, ``0.044715 · x³`` as any product of Muls and Pows (the
constant at any place), operands in either order and the three outer factors multiplied in any
grouping. A constant that differs (beyond float32
rounding) from these leaves the pattern alone.
"""

from __future__ import annotations

import math

from intq.ir.graph import Graph, Node
from intq.passes.editing import new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, is_scalar, monomial, other_input
from intq.passes.registry import register_pass

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_CUBIC = 0.044715


@register_pass
def fuse_gelu(graph: Graph) -> bool:
    return rewrite_each(graph, {"Erf", "Tanh"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, node: Node) -> bool:
    head = _erf_head(graph, uses, node) if node.op == "Erf" else _tanh_head(graph, uses, node)
    if head is None:
        return False
    x, nodes = head
    one = uses.sole_user(node.outputs[0])
    if one is None or one.op != "Add" or not is_scalar(graph, other_input(one, node.outputs[0]),
                                                        1.0):
        return False
    tail = _product_tail(graph, uses, x, one.outputs[0])
    if tail is None:
        return False
    tail_nodes, out = tail
    remove_nodes(graph, [*nodes, node, one, *tail_nodes])
    new_node(graph, "Gelu", [x], [out], name=tail_nodes[-1].name,
             attrs={"approximate": "none" if node.op == "Erf" else "tanh"})
    return True


def _erf_head(graph: Graph, uses: Uses, erf: Node) -> tuple[str, list[Node]] | None:
    """x for ``erf(x / √2)`` or ``erf(x · (1/√2))``."""
    scaled = uses.producer.get(erf.inputs[0])
    if scaled is None or not uses.private(erf.inputs[0], erf):
        return None
    x, c = scaled.inputs[0], scaled.inputs[-1]
    if scaled.op == "Div" and is_scalar(graph, c, _SQRT2):
        return x, [scaled]
    if scaled.op == "Mul":
        for x, c in (scaled.inputs, scaled.inputs[::-1]):
            if is_scalar(graph, c, 1.0 / _SQRT2) and x not in graph.constants:
                return x, [scaled]
    return None


def _tanh_head(graph: Graph, uses: Uses, tanh: Node) -> tuple[str, list[Node]] | None:
    """x for ``tanh(√(2/π) · (x + 0.044715 · x³))``."""
    outer = _scaled_by(graph, uses, tanh.inputs[0], tanh, _SQRT_2_OVER_PI)
    if outer is None:
        return None
    inner_sum, outer_node = outer
    add = uses.made_by(inner_sum, "Add")
    if add is None or not uses.private(inner_sum, outer_node):
        return None
    for x, cubic_term in (add.inputs, add.inputs[::-1]):
        c, powers, cube = monomial(graph, uses, cubic_term, add)
        if powers == {x: 3} and math.isclose(c, _CUBIC, rel_tol=1e-6):
            return x, [*cube, add, outer_node]
    return None


def _scaled_by(graph: Graph, uses: Uses, value: str, user: Node, factor: float
               ) -> tuple[str, Node] | None:
    """(v, mul) when ``value`` = Mul(v, factor), made only for ``user``."""
    mul = uses.made_by(value, "Mul")
    if mul is None or not uses.private(value, user):
        return None
    for v, c in (mul.inputs, mul.inputs[::-1]):
        if is_scalar(graph, c, factor) and v not in graph.constants:
            return v, mul
    return None


def _product_tail(graph: Graph, uses: Uses, x: str, factor: str
                  ) -> tuple[list[Node], str] | None:
    """Nodes and output of ``x · 0.5 · factor`` in any grouping of two Muls."""
    first = uses.sole_user(factor)
    if first is None or first.op != "Mul":
        return None
    other = other_input(first, factor)
    if other == x:
        half = uses.sole_user(first.outputs[0])
        if half is not None and half.op == "Mul" and is_scalar(
                graph, other_input(half, first.outputs[0]), 0.5):
            return [first, half], half.outputs[0]
        return None
    if other is not None and is_scalar(graph, other, 0.5):
        last = uses.sole_user(first.outputs[0])
        if last is not None and last.op == "Mul" and other_input(last, first.outputs[0]) == x:
            return [first, last], last.outputs[0]
        return None
    half = uses.made_by(other, "Mul") if other else None
    if half is not None and uses.private(other, first):
        if is_scalar(graph, other_input(half, x), 0.5):
            return [half, first], first.outputs[0]
    return None
