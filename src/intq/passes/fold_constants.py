"""Constant folding: nodes whose inputs are all constants become constants.

Shapes count as constants where they are static: ``Shape``/``Size`` of a statically shaped
tensor (or of its static dims only) fold, and Reshape targets computed from a symbolic batch
dimension fold into constants that use ``0``/``-1`` (see ``shape_values``). What stays dynamic
(a ``Range`` over a run-time sequence length) is left for the executor. Folds whose result
dwarfs their inputs (``ConstantOfShape``, ``Expand``, ``Tile``) are skipped past
``max_elements``, so a model file does not balloon.
"""

from __future__ import annotations

import math

import numpy as np

from intq.errors import GraphError
from intq.ir.graph import Graph, Node, is_static
from intq.ops.registry import get_op
from intq.passes.editing import finish
from intq.passes.registry import register_pass
from intq.passes.shape_values import ShapeValues, reshape_target

MAX_ELEMENTS = 1 << 20
_MAX_ROUNDS = 16
_NONDETERMINISTIC = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike",
                               "RandomUniformLike", "Multinomial", "Bernoulli"})


@register_pass
def fold_constants(graph: Graph, max_elements: int = MAX_ELEMENTS) -> bool:
    """Fold until nothing changes (a folded Reshape target sharpens shapes downstream)."""
    changed = False
    for _ in range(_MAX_ROUNDS):
        if not _fold_once(graph, max_elements):
            break
        changed = True
        finish(graph)
    return changed


def _fold_once(graph: Graph, max_elements: int) -> bool:
    shapes = ShapeValues(graph)
    kept: list[Node] = []
    changed = False
    for node in graph.nodes:
        results = None
        if _all_constant(graph, node):
            results = _evaluate(graph, node, max_elements)
        elif node.op == "Size" and is_static(graph.values[node.inputs[0]].shape):
            shape = graph.values[node.inputs[0]].shape
            results = [np.array(math.prod(shape), dtype=graph.values[node.outputs[0]].dtype)]
        else:
            static = shapes.track(node)
            results = None if static is None else [static]
            if node.op == "Reshape":
                changed |= _fold_reshape_target(graph, node, shapes)
        if results is None:
            kept.append(node)
            continue
        for name, array in zip(node.outputs, results):
            if name:
                del graph.values[name]
                graph.add_constant(name, array, exact_name=True)
        changed = True
    graph.nodes = kept
    return changed


def _all_constant(graph: Graph, node: Node) -> bool:
    return node.op not in _NONDETERMINISTIC and all(
        not i or i in graph.constants for i in node.inputs)


def _evaluate(graph: Graph, node: Node, max_elements: int) -> list[np.ndarray] | None:
    budget = max(max_elements, sum(graph.constants[i].size for i in node.inputs if i))
    planned = [graph.values[o].shape for o in node.outputs if o]
    if any(is_static(s) and math.prod(s) > budget for s in planned):
        return None
    args = [graph.constants[i] if i else None for i in node.inputs]
    try:
        with np.errstate(all="ignore"):
            results = get_op(node.op, node.name).evaluate(node.attrs, *args)
    except (ValueError, TypeError, IndexError, ArithmeticError) as exc:
        raise GraphError(f"node '{node.name}' ({node.op}) fails on its constant inputs "
                         f"({exc}); fix or re-export the model") from None
    results = [np.asarray(r) for r in results]
    if any(r.size > budget for r in results):
        return None
    return results


def _fold_reshape_target(graph: Graph, node: Node, shapes: ShapeValues) -> bool:
    if len(node.inputs) < 2 or node.inputs[1] in graph.constants:
        return False
    elements = shapes.get(node.inputs[1])
    if elements is None:
        return False
    target = reshape_target(graph, node, elements)
    if target is None:
        return False
    node.inputs[1] = graph.add_constant(f"{node.name}_shape", target)
    return True
