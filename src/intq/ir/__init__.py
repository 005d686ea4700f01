"""The graph IR: values, nodes, graphs, and their safe on-disk form."""

from intq.ir.graph import Graph, Node, Value
from intq.ir.serialize import load_graph, save_graph

__all__ = ["Graph", "Node", "Value", "load_graph", "save_graph"]
