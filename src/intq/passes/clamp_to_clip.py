"""Clamps in one canonical form: ``Relu`` when the clamp is ``max(x, 0)``, else one ``Clip``.

Exporters write the same clamp as ``Clip(x, 0)``, ``Max(x, 0)``, ``Min(Max(x, lo), hi)``,
``Max(Min(x, hi), lo)`` or ``Min(Relu(x), hi)``; quantization then needs one rule, not five.
"""

from __future__ import annotations

import math

from intq.ir.graph import Graph, Node
from intq.passes.editing import bypass, constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, other_input, rank, scalar
from intq.passes.registry import register_pass


@register_pass
def clamp_to_clip(graph: Graph) -> bool:
    return rewrite_each(graph, {"Clip", "Min", "Max"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, node: Node) -> bool:
    if node.op == "Clip":
        return _clip(graph, node)
    bound = _scalar_operand(graph, node)
    if bound is None:
        return False
    x, value = bound
    if node.op == "Max" and value == 0.0:
        return _replace(graph, [node], "Relu", [x])
    inner = uses.producer.get(x)
    if inner is None or not uses.private(x, node):
        return False
    if node.op == "Min" and inner.op == "Relu":
        inner_bound = inner.inputs[0], 0.0
    elif inner.op == ({"Min", "Max"} - {node.op}).pop():
        inner_bound = _scalar_operand(graph, inner)
    else:
        return False
    if inner_bound is None:
        return False
    source, inner_value = inner_bound
    lo, hi = (value, inner_value) if node.op == "Max" else (inner_value, value)
    if not lo <= hi:
        return False
    dtype = graph.values[source].dtype
    limits = [constant_like(graph, "clip_min", lo, dtype),
              constant_like(graph, "clip_max", hi, dtype)]
    return _replace(graph, [inner, node], "Clip", [source, *limits])


def _clip(graph: Graph, clip: Node) -> bool:
    x = clip.inputs[0]
    lo_name = clip.inputs[1] if len(clip.inputs) > 1 else ""
    hi_name = clip.inputs[2] if len(clip.inputs) > 2 else ""
    lo = scalar(graph, lo_name) if lo_name else -math.inf
    hi = scalar(graph, hi_name) if hi_name else math.inf
    if lo is None or hi is None:
        return False
    if lo == -math.inf and hi == math.inf:
        return bypass(graph, clip, x)
    if lo == 0.0 and hi == math.inf:
        return _replace(graph, [clip], "Relu", [x])
    return False


def _scalar_operand(graph: Graph, node: Node) -> tuple[str, float] | None:
    """(x, c) for a two-input node ``op(x, c)`` whose constant ``c`` has one element and does
    not broadcast ``x`` to a higher rank."""
    if len(node.inputs) != 2:
        return None
    for x, c in (node.inputs, node.inputs[::-1]):
        value = scalar(graph, c)
        x_rank = rank(graph, x)
        if (value is not None and x not in graph.constants and x_rank is not None
                and graph.constants[c].ndim <= x_rank and other_input(node, c) == x
                and graph.constants[c].dtype.name == graph.values[x].dtype):
            return x, value
    return None


def _replace(graph: Graph, old: list[Node], op: str, inputs: list[str]) -> bool:
    remove_nodes(graph, old)
    new_node(graph, op, inputs, [old[-1].outputs[0]], name=old[-1].name)
    return True
