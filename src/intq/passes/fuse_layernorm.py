"""Decomposed layer norm → one ``LayerNormalization`` node (one integer kernel, I-BERT style).

Quantizing the pieces of a decomposed layer norm one by one ruins it (the variance of int8
values, and in the moments form ``E[x²] - E[x]²`` a difference of two large nearly equal
numbers), so every spelling exporters produce is brought back to the one op:

- ``d = x - mean(x)`` with the mean a ``ReduceMean`` or a ``ReduceSum`` scaled by 1/n, kept
  dims or reduced and brought back by Reshape/Unsqueeze and Expand (TensorFlow and JAX exports);
- the variance ``mean(d²)`` or the moments form ``mean(x²) - mean(x)²``, optionally clamped at
  zero (``Relu``/``Max``), squares as ``Pow(·, 2)`` or ``v · v``;
- ``d / sqrt(var + eps)``, ``d · 1/sqrt(…)`` or ``d · (1/sqrt(…) · γ)``, optionally ``· γ`` and
  ``+ β`` after, with γ and β varying only along the normalized axes.

Normalized axes that are not the trailing ones (a channel axis in the middle) become a
Transpose that moves them last, the layer norm, and the inverse Transpose. Every intermediate
must feed only the pattern; a look-alike is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intq.ir.graph import Graph, Node, is_static
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import (Uses, closed, const, laid_out_statistic, mean_of,
                                  other_input, rank, scalar, square_of, through_broadcast)
from intq.passes.registry import register_pass


@register_pass
def fuse_layernorm(graph: Graph) -> bool:
    return rewrite_each(graph, {"Sub"}, _rewrite)


@dataclass
class _Match:
    x: str
    axes: list[int]
    eps: float
    nodes: list[Node]
    out: str
    gamma: np.ndarray | None = None


def _rewrite(graph: Graph, uses: Uses, sub: Node) -> bool:
    match = _match(graph, uses, sub)
    if match is None:
        return False
    return _fuse(graph, uses, match)


def _match(graph: Graph, uses: Uses, sub: Node) -> _Match | None:
    x, centre = sub.inputs
    r = rank(graph, x)
    if r is None or len(sub.inputs) != 2:
        return None
    mean = _mean(graph, uses, centre, r)
    if mean is None or mean[0] != x:
        return None
    _, axes, mean_value, mean_nodes = mean
    d = sub.outputs[0]
    for norm in uses.users(d):
        found = _scale(graph, uses, norm, d, axes, r)
        if found is None:
            continue
        scale_nodes, variance, eps, gamma = found
        var_nodes = _variance(graph, uses, variance, x, d, mean_value, axes, r)
        if var_nodes is None:
            continue
        nodes = [*mean_nodes, sub, *var_nodes, *scale_nodes, norm]
        match = _Match(x, axes, eps, nodes, norm.outputs[0], gamma)
        if closed(uses, nodes, match.out):
            return match
    return None


def _mean(graph: Graph, uses: Uses, value: str, r: int
          ) -> tuple[str, list[int], str, list[Node]] | None:
    """``(x, axes, statistic, nodes)``: ``value`` is the mean of ``x`` over ``axes``, laid out
    to broadcast against ``x`` (``statistic`` is the mean before any layout nodes)."""
    def find(v: str) -> tuple[list[int], bool] | None:
        found = mean_of(graph, uses, v)
        return None if found is None or rank(graph, found[0]) != r else (found[1], found[2])

    laid_out = laid_out_statistic(graph, uses, value, r, find)
    if laid_out is None:
        return None
    base, axes, layout = laid_out
    x, _, _, nodes = mean_of(graph, uses, base)
    return x, axes, base, [*nodes, *layout]


def _scale(graph: Graph, uses: Uses, norm: Node, d: str, axes: list[int], r: int
           ) -> tuple[list[Node], str, float, np.ndarray | None] | None:
    """For ``norm`` = ``d / std`` or ``d · (1/std) [· γ]``: its nodes, the variance value under
    ``std = sqrt(var + eps)``, eps and γ."""
    if norm.op == "Div" and norm.inputs[0] == d:
        std, gamma, nodes = norm.inputs[1], None, []
    elif norm.op == "Mul" and other_input(norm, d) is not None:
        factor, layout = through_broadcast(graph, uses, other_input(norm, d), axes, r)
        gamma, nodes = None, layout
        mul = uses.made_by(factor, "Mul")
        if mul is not None:
            for inv, g in (mul.inputs, mul.inputs[::-1]):
                if const(graph, g) is not None and uses.made_by(inv, "Reciprocal") is not None:
                    factor, gamma, nodes = inv, const(graph, g), [mul, *nodes]
                    break
        recip = uses.made_by(factor, "Reciprocal")
        if recip is None:
            return None
        std, nodes = recip.inputs[0], [recip, *nodes]
    else:
        return None
    sqrt = uses.made_by(std, "Sqrt")
    add = uses.made_by(sqrt.inputs[0], "Add") if sqrt is not None else None
    if add is None:
        return None
    for variance, e in (add.inputs, add.inputs[::-1]):
        eps = scalar(graph, e)
        if eps is not None and eps >= 0:
            base, layout = through_broadcast(graph, uses, variance, axes, r)
            return [*layout, add, sqrt, *nodes], base, eps, gamma
    return None


def _variance(graph: Graph, uses: Uses, value: str, x: str, d: str, mean: str,
              axes: list[int], r: int) -> list[Node] | None:
    """Nodes computing ``value`` as the variance of ``x`` over ``axes``: ``mean(d²)`` or
    ``[clamp≥0](mean(x²) - mean(x)²)``."""
    found = mean_of(graph, uses, value)
    if found is not None:
        squares, found_axes, _, nodes = found
        square = uses.producer.get(squares)
        if found_axes == axes and square_of(graph, square) == d:
            return [square, *nodes]
        return None
    nodes: list[Node] = []
    node = uses.producer.get(value)
    if node is not None and (node.op == "Relu" or node.op == "Max" and len(node.inputs) == 2
                             and any(scalar(graph, i) == 0.0 for i in node.inputs)):
        nodes.append(node)
        node = uses.producer.get(next(i for i in node.inputs if i not in graph.constants))
    if node is None or node.op != "Sub":
        return None
    squared_mean = uses.producer.get(node.inputs[1])
    found = mean_of(graph, uses, node.inputs[0])
    if found is None or found[1] != axes or square_of(graph, squared_mean) != mean:
        return None
    squares, _, keepdims, mean_nodes = found
    square = uses.producer.get(squares)
    if square_of(graph, square) != x:
        return None
    keep_match = graph.values[node.inputs[0]].shape == graph.values[mean].shape
    return [square, *mean_nodes, squared_mean, node, *nodes] if keep_match else None


def _fuse(graph: Graph, uses: Uses, match: _Match) -> bool:
    shape = graph.values[match.x].shape
    r, axes = len(shape), match.axes
    norm_shape = tuple(shape[a] for a in axes)
    if not is_static(norm_shape) or axes != list(range(axes[0], axes[0] + len(axes))):
        return False
    dtype = graph.values[match.x].dtype
    nodes, out = list(match.nodes), match.out
    gamma = _affine_param(match.gamma, norm_shape, axes, r) if match.gamma is not None else None
    if match.gamma is not None and gamma is None:
        return False
    scale = np.ones(norm_shape) if gamma is None else gamma
    bias = np.zeros(norm_shape)
    for op in ("Mul", "Add"):
        node = uses.sole_user(out)
        operand = other_input(node, out) if node is not None and node.op == op else None
        array = _affine_param(const(graph, operand or ""), norm_shape, axes, r)
        if array is None:
            continue
        if op == "Mul":
            scale = scale * array
        else:
            bias = array
        nodes.append(node)
        out = node.outputs[0]
    name = nodes[-1].name
    params = [constant_like(graph, f"{name}_{role}", array, dtype)
              for role, array in (("scale", scale), ("bias", bias))]
    remove_nodes(graph, nodes)
    trailing = axes[-1] == r - 1
    source = match.x
    if not trailing:
        perm = [i for i in range(r) if i not in axes] + axes
        source = new_node(graph, "Transpose", [source], 1, name=f"{name}_to_last",
                          attrs={"perm": perm}).outputs[0]
    ln_out = out if trailing else graph.unique_name(f"{name}_normalized")
    new_node(graph, "LayerNormalization", [source, *params], [ln_out], name=name,
             attrs={"axis": axes[0] if trailing else r - len(axes), "epsilon": match.eps})
    if not trailing:
        new_node(graph, "Transpose", [ln_out], [out], name=f"{name}_back",
                 attrs={"perm": [int(i) for i in np.argsort(perm)]})
    return True


def _affine_param(array: np.ndarray | None, norm_shape: tuple[int, ...], axes: list[int],
                  x_rank: int) -> np.ndarray | None:
    """``array`` as a tensor of the normalized shape, if it broadcasts against ``x`` varying
    only along the normalized ``axes``."""
    if array is None or array.ndim > x_rank:
        return None
    full = array.reshape((1,) * (x_rank - array.ndim) + array.shape)
    if any(full.shape[i] != 1 for i in range(x_rank) if i not in axes):
        return None
    picked = full.reshape(tuple(full.shape[a] for a in axes))
    try:
        return np.broadcast_to(picked, norm_shape)
    except ValueError:
        return None
