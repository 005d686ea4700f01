"""Export rules by format and IR op type: adding an op's export is adding one rule.

A rule ``rule(b, node)`` reads the node's inputs through the builder (``b.get``), emits ONNX
nodes and publishes every output (``b.set``). Rules live in ``export/rules/``, one file per
op family, each registering its ``int`` and ``qdq`` forms side by side.
"""

from __future__ import annotations

from collections.abc import Callable

from intq.export.builder import OnnxBuilder
from intq.ir.graph import Node

Rule = Callable[[OnnxBuilder, Node], None]

FORMATS = ("int", "qdq")

_RULES: dict[str, dict[str, Rule]] = {fmt: {} for fmt in FORMATS}


def export_rule(fmt: str, *op_types: str) -> Callable[[Rule], Rule]:
    """Decorator registering ``rule`` as the ``fmt`` export of each of ``op_types``."""
    def add(rule: Rule) -> Rule:
        for op_type in op_types:
            if op_type in _RULES[fmt]:
                raise ValueError(f"{fmt} export rule for '{op_type}' registered twice")
            _RULES[fmt][op_type] = rule
        return rule
    return add


def find_rule(fmt: str, op_type: str) -> Rule | None:
    return _RULES[fmt].get(op_type)


def exported_ops(fmt: str) -> list[str]:
    """Op types with a dedicated ``fmt`` rule (other registered ops pass through unchanged)."""
    return sorted(_RULES[fmt])
