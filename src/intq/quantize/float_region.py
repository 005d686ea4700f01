"""Which nodes stay in float, and why: restored op types, restored nodes, and everything
downstream of a split tensor (MRT's split/merge; the base below the split is quantized, the top
above it runs in float on the dequantized base outputs).
"""

from __future__ import annotations

from intq.ir.graph import Graph
from intq.ops.registry import is_registered
from intq.quantize.config import QuantConfig
from intq.quantize.errors import QuantConfigError


def check_names(graph: Graph, config: QuantConfig) -> None:
    """Every node, tensor and op type the config names must exist in the prepared graph."""
    nodes = {n.name for n in graph.nodes}
    for key, names in (("restore_nodes", config.restore_nodes),
                       ("per_layer", list(config.per_layer))):
        for name in names:
            if name not in nodes:
                raise QuantConfigError(f"{key} names node '{name}', which is not in the prepared "
                                       f"graph '{graph.name}'; list node names with `intq inspect`")
    for name in config.split:
        if name not in graph.values or name in graph.constants:
            raise QuantConfigError(f"split names tensor '{name}', which is no activation of the "
                                   f"prepared graph '{graph.name}'")
    for op in config.restore_ops:
        if not is_registered(op):
            raise QuantConfigError(f"restore_ops names op type '{op}', which intq does not know")


def float_nodes(graph: Graph, config: QuantConfig) -> dict[str, str]:
    """Node name → reason, for the nodes the config keeps in float."""
    reasons: dict[str, str] = {}
    restore_ops, restore_nodes = set(config.restore_ops), set(config.restore_nodes)
    downstream = set(config.split)
    for node in graph.nodes:
        if any(i in downstream for i in node.inputs):
            downstream.update(o for o in node.outputs if o)
            reasons[node.name] = "split"
        elif node.name in restore_nodes:
            reasons[node.name] = "restore_nodes"
        elif node.op in restore_ops:
            reasons[node.name] = "restore_ops"
    return reasons
