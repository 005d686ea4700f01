"""The export loop shared by the formats: each IR node, in order, through its rule."""

from __future__ import annotations

from intq.errors import UnsupportedOpError
from intq.export import rules  # noqa: F401  (registers the rules)
from intq.export.builder import OnnxBuilder
from intq.export.onnx_attrs import is_onnx_op
from intq.export.registry import find_rule
from intq.export.rules.passthrough import passthrough, passthrough_qdq

FALLBACKS = {"int": passthrough, "qdq": passthrough_qdq}
"""How each format writes a node of an ONNX op type that has no rule of its own."""


def export_nodes(b: OnnxBuilder, fmt: str) -> None:
    """Run each node's ``fmt`` rule (or the format's pass-through) in topological order."""
    for node in b.graph.nodes:
        b.begin(node)
        rule = find_rule(fmt, node.op)
        if rule is None:
            if not is_onnx_op(node.op):
                raise UnsupportedOpError(f"node '{node.name}' ({node.op}) has no {fmt} ONNX "
                                         "export rule")
            rule = FALLBACKS[fmt]
        rule(b, node)
