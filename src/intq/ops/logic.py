"""Comparisons, boolean logic and Where: broadcasting ops that produce or consume ``bool``."""

from __future__ import annotations

from typing import Any

import numpy as np

from intq.ops.base import BroadcastOp, SameTypeOp
from intq.ops.registry import register


class ComparisonOp(BroadcastOp):
    out_dtype = "bool"


@register
class Equal(ComparisonOp):
    op_type = "Equal"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.equal(a, b)]


@register
class Less(ComparisonOp):
    op_type = "Less"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.less(a, b)]


@register
class LessOrEqual(ComparisonOp):
    op_type = "LessOrEqual"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.less_equal(a, b)]


@register
class Greater(ComparisonOp):
    op_type = "Greater"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.greater(a, b)]


@register
class GreaterOrEqual(ComparisonOp):
    op_type = "GreaterOrEqual"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.greater_equal(a, b)]


@register
class And(ComparisonOp):
    op_type = "And"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.logical_and(a, b)]


@register
class Or(ComparisonOp):
    op_type = "Or"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.logical_or(a, b)]


@register
class Xor(ComparisonOp):
    op_type = "Xor"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.logical_xor(a, b)]


@register
class Not(SameTypeOp):
    op_type = "Not"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.logical_not(x)]


@register
class IsNaN(ComparisonOp):
    op_type = "IsNaN"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.isnan(x)]


@register
class Where(BroadcastOp):
    """Select from X where the condition holds, else from Y; the dtype is X's."""

    op_type = "Where"
    dtype_input = 1

    def evaluate(self, attrs: dict[str, Any], condition: np.ndarray, x: np.ndarray,
                 y: np.ndarray) -> list[np.ndarray]:
        return [np.where(condition, x, y)]
