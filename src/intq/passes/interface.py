"""Passes that change a graph's interface: its input/output names and which tensors are outputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from intq.ir.graph import Graph
from intq.passes.registry import PassOptionError, register_pass


@register_pass
def rename_io(graph: Graph, inputs: Mapping[str, str] | None = None,
              outputs: Mapping[str, str] | None = None) -> bool:
    """Rename graph inputs and outputs (deployment code addresses tensors by these names)."""
    renames = []
    for kind, mapping, names in (("input", inputs, graph.inputs),
                                 ("output", outputs, graph.outputs)):
        for old, new in (mapping or {}).items():
            if old not in names:
                raise PassOptionError(f"'{old}' is not a model {kind}; the {kind}s are {names}")
            if old != new:
                renames.append((old, new))
    targets = [new for _, new in renames]
    for old, new in renames:
        if not new or not isinstance(new, str):
            raise PassOptionError(f"new name for '{old}' must be a non-empty string")
        if targets.count(new) > 1 or (new in graph.values and new not in {o for o, _ in renames}):
            raise PassOptionError(f"cannot rename '{old}' to '{new}': the name is taken")
    temporary = {old: graph.unique_name(f"{old}__renaming") for old, _ in renames}
    for old, _ in renames:
        graph.rename_value(old, temporary[old])
    for old, new in renames:
        graph.rename_value(temporary[old], new)
    return bool(renames)


@register_pass
def set_outputs(graph: Graph, names: Sequence[str]) -> bool:
    """Make ``names`` (any tensors, internal ones too) the graph outputs and drop what no longer
    feeds them; ``split`` builds on this to cut a model in two."""
    names = list(names)
    defined = set(graph.inputs) | set(graph.constants) | {o for n in graph.nodes for o in n.outputs}
    for name in names:
        if name not in defined:
            raise PassOptionError(f"'{name}' is not a tensor of graph '{graph.name}'; pick a "
                                  "node output, input or constant")
    if len(set(names)) != len(names) or not names:
        raise PassOptionError(f"outputs {names} must be a non-empty list without repeats")
    changed = names != graph.outputs
    graph.outputs = names
    return bool(graph.prune()) or changed
