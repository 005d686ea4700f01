"""``attach_input_shapes``: pin input dimensions (all or some) and re-infer every shape.

Static shapes let later passes fold ``Shape`` ops and let calibration and the integer
runtime plan memory. A symbolic dimension given a size is given it in every input sharing
that symbol (same name, same size is the IR's convention). Shape rules do not check every
constraint (a MatMul's inner dimensions), so with ``check``, once every input dimension is
static, the graph also runs once on zeros: a contradiction fails there, naming the node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from intq.errors import GraphError, InputError, IntqError
from intq.ir.graph import Dim, Graph, Shape, is_static
from intq.ops.infer import infer_shapes
from intq.passes.registry import PassOptionError, register_pass
from intq.runtime.executor import execute


@register_pass
def attach_input_shapes(graph: Graph, shapes: Mapping[str, Sequence[Dim]], check: bool = True
                        ) -> bool:
    bindings: dict[str, Dim] = {}
    wanted = {name: _checked(graph, name, shape, bindings) for name, shape in shapes.items()}
    for name in graph.inputs:
        old = graph.values[name].shape
        if name not in wanted and old is not None:
            wanted[name] = tuple(bindings.get(d, d) if isinstance(d, str) else d for d in old)
    before = {name: value.shape for name, value in graph.values.items()}
    if all(before[name] == shape for name, shape in wanted.items()):
        return False
    for name, shape in wanted.items():
        graph.values[name].shape = shape
    try:
        infer_shapes(graph)
        _check_no_rank_lost(graph, before)
        if check:
            _dry_run(graph)
    except IntqError as exc:
        for name, shape in before.items():
            graph.values[name].shape = shape
        if not isinstance(exc, (GraphError, InputError)):
            raise
        given = ", ".join(f"{n}={list(s)}" for n, s in shapes.items())
        raise InputError(f"input shapes {given} contradict the model: {exc}") from None
    return True


def _checked(graph: Graph, name: str, shape: Sequence[Dim], bindings: dict[str, Dim]) -> Shape:
    if name not in graph.inputs:
        raise PassOptionError(f"'{name}' is not a model input; the inputs are {graph.inputs}")
    new = tuple(d if isinstance(d, str) else int(d) for d in shape)
    if any(isinstance(d, int) and d < 0 for d in new):
        raise InputError(f"input '{name}' shape {list(new)} has a negative dimension")
    old = graph.values[name].shape
    if old is None:
        return new
    if len(old) != len(new):
        raise InputError(f"input '{name}' has rank {len(old)} ({graph.values[name].type_str()}), "
                         f"but shape {list(new)} was given")
    for axis, (was, now) in enumerate(zip(old, new)):
        if isinstance(was, int) and was != now:
            raise InputError(f"input '{name}' axis {axis} is {was} in the model, but {now} was "
                             f"given ({graph.values[name].type_str()})")
        if isinstance(was, str) and was != "?" and bindings.setdefault(was, now) != now:
            raise InputError(f"dimension '{was}' is given as both {bindings[was]} and {now}")
    return new


def _check_no_rank_lost(graph: Graph, before: dict[str, Shape]) -> None:
    """Shape rules answer an impossible input with an unknown shape; name the first such node."""
    for node in graph.nodes:
        for out in node.outputs:
            if out and before.get(out) is not None and graph.values[out].shape is None:
                raise InputError(f"node '{node.name}' ({node.op}) cannot take them")


def _dry_run(graph: Graph) -> None:
    """Run the graph on zeros; raise ``InputError`` naming the first node that fails."""
    if not all(is_static(graph.values[name].shape) for name in graph.inputs):
        return
    feeds = {name: np.zeros(graph.values[name].shape, dtype=graph.values[name].dtype)
             for name in graph.inputs}
    seen: set[str] = set()
    try:
        with np.errstate(all="ignore"):
            execute(graph, feeds, on_value=lambda name, _: seen.add(name))
    except (ValueError, IndexError, TypeError, IntqError) as exc:
        node = next(n for n in graph.nodes if any(o and o not in seen for o in n.outputs))
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise InputError(f"node '{node.name}' ({node.op}) fails on them ({reason})") from None
