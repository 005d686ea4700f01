"""Which nodes stay in float, and why: restored op types, restored nodes, and everything
downstream of a split tensor (MRT's split/merge; the base below the split is quantized, the top
above it runs in float on the dequantized base outputs), and the ONNX Runtime islands
(``ops/onnx_island.py``), which are float whatever the config says. ``restore_ops`` names op
types as the source model spells them, so an island of GridSample is restored as "GridSample".
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

from intq.errors import IntqWarning
from intq.ir.graph import Graph
from intq.ops.onnx_island import ISLAND_OP, source_op_type
from intq.ops.registry import is_registered
from intq.quantize.config import QuantConfig
from intq.quantize.errors import QuantConfigError


SOURCE_OPS_KEY = "source_ops"
"""``graph.meta`` key: node name → op type before preparation, so that ``restore_ops`` also
finds the nodes a pass rewrote an op into (GlobalAveragePool into ReduceSum and Mul, named
``<node>_sum`` and ``<node>``)."""


def remember_source_ops(graph: Graph) -> None:
    """Record each node's op type (an island's carried one) before preparation rewrites it."""
    graph.meta[SOURCE_OPS_KEY] = {n.name: source_op_type(n) for n in graph.nodes}


def op_types(graph: Graph) -> dict[str, set[str]]:
    """Node name → the op types ``restore_ops`` matches it by: its own, and for a node a
    preparation pass made, the op type of the original node it is named after."""
    source = graph.meta.get(SOURCE_OPS_KEY, {})
    types = {}
    for node in graph.nodes:
        found = {source_op_type(node)}
        if node.name in source:
            found.add(source[node.name])
        else:
            found.update(op for name, op in source.items() if node.name.startswith(f"{name}_"))
        types[node.name] = found
    return types


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
    present = set().union(*op_types(graph).values())
    for op in config.restore_ops:
        if not is_registered(op) and op not in present:
            raise QuantConfigError(f"restore_ops names op type '{op}', which is neither an op "
                                   f"intq knows nor in the prepared graph '{graph.name}'")


def float_nodes(graph: Graph, config: QuantConfig) -> dict[str, str]:
    """Node name → reason, for the nodes the config keeps in float."""
    reasons: dict[str, str] = {}
    restore_ops, restore_nodes = set(config.restore_ops), set(config.restore_nodes)
    downstream = set(config.split)
    types = op_types(graph) if restore_ops else {}
    for node in graph.nodes:
        if any(i in downstream for i in node.inputs):
            downstream.update(o for o in node.outputs if o)
            reasons[node.name] = "split"
        elif node.name in restore_nodes:
            reasons[node.name] = "restore_nodes"
        elif restore_ops and restore_ops & types[node.name]:
            reasons[node.name] = "restore_ops"
        elif node.op == ISLAND_OP:
            reasons[node.name] = f"runs in ONNX Runtime: {node.attrs['reason']}"
    return reasons


def warn_float_nodes(graph_name: str, reasons: Mapping[str, str], shown: int = 5) -> None:
    """The Python API's notice that a quantized model is partly float (an ``IntqWarning``
    naming the first ``shown`` float nodes and why), so the loss of exactness is never silent."""
    if not reasons:
        return
    listed = "; ".join(f"{name} ({why})" for name, why in list(reasons.items())[:shown])
    more = f"; and {len(reasons) - shown} more" if len(reasons) > shown else ""
    warnings.warn(f"model '{graph_name}' is partly float: {len(reasons)} node(s) stay in float, "
                  f"outside the exactness guarantee: {listed}{more} (QuantizedModel.float_nodes "
                  "lists them all)", IntqWarning, stacklevel=3)
