"""Lowering rules by float op type: adding an op's quantization is adding one rule.

A rule ``fn(ctx, node) -> bool`` emits the integer form of ``node`` into ``ctx.out`` and
records its outputs' integer forms, or returns False *before emitting anything* when this
instance cannot be lowered exactly (then the node stays float, like a restored one).
"""

from __future__ import annotations

from collections.abc import Callable

from intq.ir.graph import Node
from intq.quantize.context import Lowering

Rule = Callable[[Lowering, Node], bool]

_RULES: dict[str, Rule] = {}


def lowers(*op_types: str) -> Callable[[Rule], Rule]:
    """Decorator registering a rule for float op types."""
    def register(fn: Rule) -> Rule:
        for op in op_types:
            if op in _RULES:
                raise ValueError(f"a lowering rule for '{op}' is registered twice")
            _RULES[op] = fn
        return fn
    return register


def rule_for(op_type: str) -> Rule | None:
    return _RULES.get(op_type)


def lowered_ops() -> list[str]:
    """Float op types that have a lowering rule."""
    return sorted(_RULES)
