"""Identity, inference-mode Dropout and a Cast to the dtype its input already has copy their
input; readers can read the input itself."""

from __future__ import annotations

from intq.ir.graph import Graph, Node
from intq.passes.editing import bypass, rewrite_each
from intq.passes.matching import Uses
from intq.passes.registry import register_pass


@register_pass
def remove_identity(graph: Graph) -> bool:
    return rewrite_each(graph, {"Identity", "Dropout", "Cast"}, _remove)


def _remove(graph: Graph, uses: Uses, node: Node) -> bool:
    if node.op == "Dropout" and (any(node.outputs[1:]) or _training(graph, node)):
        return False
    if node.op == "Cast" and graph.values[node.inputs[0]].dtype != node.attrs["to"]:
        return False
    return bypass(graph, node, node.inputs[0])


def _training(graph: Graph, node: Node) -> bool:
    """Dropout is a copy unless its optional ``training_mode`` input may be true."""
    if len(node.inputs) < 3 or not node.inputs[2]:
        return False
    flag = graph.constants.get(node.inputs[2])
    return flag is None or bool(flag.any())
