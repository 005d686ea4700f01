"""Dead code elimination: drop what no graph output depends on, and merge constants that are
byte-for-byte equal (same dtype and shape) so each parameter is stored and quantized once."""

from __future__ import annotations

import hashlib

from intq.ir.graph import Graph
from intq.passes.editing import finish
from intq.passes.registry import register_pass


@register_pass
def eliminate_dead_code(graph: Graph) -> bool:
    before = (len(graph.nodes), len(graph.values))
    graph.prune()
    merged = _merge_duplicate_constants(graph)
    changed = bool(merged) or (len(graph.nodes), len(graph.values)) != before
    if changed:
        finish(graph)
    return changed


def _merge_duplicate_constants(graph: Graph) -> int:
    """Point every reader of a duplicate constant at its first copy; return how many moved.

    Constants that are graph outputs keep their names (an output name is an interface).
    """
    first: dict[tuple, str] = {}
    alias: dict[str, str] = {}
    outputs = set(graph.outputs)
    for name, array in graph.constants.items():
        key = (array.dtype.str, array.shape, hashlib.sha256(array.tobytes()).digest())
        if key not in first:
            first[key] = name
        elif name not in outputs:
            alias[name] = first[key]
    if alias:
        for node in graph.nodes:
            node.inputs = [alias.get(i, i) for i in node.inputs]
    return len(alias)
