"""Decomposed layer norm → one ``LayerNormalization`` node (one integer kernel, I-BERT style).

Matched: ``d = x - mean(x)``, ``var = mean(d²)`` (``Pow(d, 2)`` or ``d · d``), then
``d / sqrt(var + eps)`` (or ``d · 1/sqrt(…)``), optionally ``· γ`` and ``+ β``, with both means
over the same trailing axes and keepdims. γ and β may only vary along the normalized axes.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node, is_static
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, const, is_scalar, other_input, rank, reduce_axes, scalar
from intq.passes.registry import register_pass


@register_pass
def fuse_layernorm(graph: Graph) -> bool:
    return rewrite_each(graph, {"Sub"}, _rewrite)


def _rewrite(graph: Graph, uses: Uses, sub: Node) -> bool:
    x, m = sub.inputs
    mean = uses.made_by(m, "ReduceMean")
    if mean is None or mean.inputs[0] != x or not uses.private(m, sub):
        return False
    axes = _trailing_axes(graph, mean)
    d = sub.outputs[0]
    users = uses.users(d)
    if axes is None or len(users) != 2 or d in uses.outputs:
        return False
    for square, norm in (users, users[::-1]):
        found = _variance_chain(graph, uses, square, d, axes)
        if found is None:
            continue
        chain, std, eps = found
        normalize = _normalize(uses, norm, d, std)
        if normalize is None:
            return False
        nodes = [mean, sub, *chain, *normalize]
        return _fuse(graph, uses, x, axes, eps, nodes)
    return False


def _trailing_axes(graph: Graph, mean: Node) -> list[int] | None:
    axes, r = reduce_axes(graph, mean), rank(graph, mean.inputs[0])
    if axes is None or not mean.attrs.get("keepdims", 1) or axes != list(range(r - len(axes), r)):
        return None
    return axes


def _variance_chain(graph: Graph, uses: Uses, square: Node, d: str, axes: list[int]
                    ) -> tuple[list[Node], str, float] | None:
    """Nodes of ``sqrt(mean(d²) + eps)``, its output and eps."""
    is_pow = square.op == "Pow" and square.inputs[0] == d and is_scalar(graph, square.inputs[1], 2.0)
    if not (is_pow or (square.op == "Mul" and square.inputs == [d, d])):
        return None
    mean = uses.sole_user(square.outputs[0])
    if mean is None or mean.op != "ReduceMean" or _trailing_axes(graph, mean) != axes:
        return None
    add = uses.sole_user(mean.outputs[0])
    if add is None or add.op != "Add":
        return None
    eps = scalar(graph, other_input(add, mean.outputs[0]) or "")
    if eps is None:
        return None
    sqrt = uses.sole_user(add.outputs[0])
    if sqrt is None or sqrt.op != "Sqrt":
        return None
    return [square, mean, add, sqrt], sqrt.outputs[0], eps


def _normalize(uses: Uses, norm: Node, d: str, std: str) -> list[Node] | None:
    """Nodes of ``d / std`` or ``d · Reciprocal(std)``."""
    if norm.op == "Div" and norm.inputs == [d, std] and uses.private(std, norm):
        return [norm]
    recip = uses.sole_user(std)
    if (norm.op == "Mul" and recip is not None and recip.op == "Reciprocal"
            and other_input(norm, d) == recip.outputs[0] and uses.private(recip.outputs[0], norm)):
        return [recip, norm]
    return None


def _fuse(graph: Graph, uses: Uses, x: str, axes: list[int], eps: float, nodes: list[Node]
          ) -> bool:
    shape = graph.values[x].shape
    norm_shape = shape[axes[0]:]
    if not is_static(norm_shape):
        return False
    dtype = graph.values[x].dtype
    out = nodes[-1].outputs[0]
    params = []
    for op, neutral, role in (("Mul", 1.0, "scale"), ("Add", 0.0, "bias")):
        node = uses.sole_user(out)
        operand = other_input(node, out) if node is not None and node.op == op else None
        array = _affine_param(const(graph, operand or ""), norm_shape, len(shape))
        if array is None:
            array = np.full(norm_shape, neutral)
        else:
            nodes.append(node)
            out = node.outputs[0]
        params.append(constant_like(graph, f"{nodes[-1].name}_{role}", array, dtype))
    remove_nodes(graph, nodes)
    new_node(graph, "LayerNormalization", [x, *params], [out], name=nodes[-1].name,
             attrs={"axis": axes[0], "epsilon": eps})
    return True


def _affine_param(array: np.ndarray | None, norm_shape: tuple[int, ...], x_rank: int
                  ) -> np.ndarray | None:
    """``array`` as a tensor of the normalized shape, if it varies only along those axes."""
    if array is None or array.ndim > x_rank:
        return None
    lead = array.shape[:max(0, array.ndim - len(norm_shape))]
    if any(d != 1 for d in lead):
        return None
    trailing = array.reshape(array.shape[len(lead):])
    try:
        return np.broadcast_to(trailing, norm_shape)
    except ValueError:
        return None
