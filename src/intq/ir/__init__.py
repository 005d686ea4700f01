"""The graph IR: values, nodes, graphs, and their safe on-disk form."""

from intq.ir.graph import Graph, Node, QuantInfo, Value
from intq.ir.serialize import load_graph, save_graph

__all__ = ["Graph", "Node", "QuantInfo", "Value", "load_graph", "save_graph"]
