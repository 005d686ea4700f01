"""Elementwise arithmetic: unary math, broadcasting binary ops and the variadic Min/Max/Sum/Mean.

Integer semantics follow ONNX Runtime: ``Div`` truncates toward zero (C division), ``Mod``
takes the divisor's sign unless ``fmod=1``, ``Pow`` keeps the base's dtype.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from intq.ops.base import BroadcastOp, UnaryOp
from intq.ops.registry import register
from intq.ops.special import erf


@register
class Neg(UnaryOp):
    op_type = "Neg"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.negative(x)


@register
class Abs(UnaryOp):
    op_type = "Abs"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.abs(x)


@register
class Sign(UnaryOp):
    op_type = "Sign"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.sign(x)


@register
class Sqrt(UnaryOp):
    op_type = "Sqrt"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)


@register
class Exp(UnaryOp):
    op_type = "Exp"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.exp(x)


@register
class Log(UnaryOp):
    op_type = "Log"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.log(x)


@register
class Reciprocal(UnaryOp):
    op_type = "Reciprocal"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.reciprocal(x)


@register
class Floor(UnaryOp):
    op_type = "Floor"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.floor(x)


@register
class Ceil(UnaryOp):
    op_type = "Ceil"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.ceil(x)


@register
class Round(UnaryOp):
    """Round half to even, like ``std::nearbyint`` in ONNX Runtime."""

    op_type = "Round"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.round(x)


@register
class Erf(UnaryOp):
    op_type = "Erf"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return erf(x)


@register
class Sin(UnaryOp):
    op_type = "Sin"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.sin(x)


@register
class Cos(UnaryOp):
    op_type = "Cos"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.cos(x)


@register
class Add(BroadcastOp):
    op_type = "Add"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.add(a, b)]


@register
class Sub(BroadcastOp):
    op_type = "Sub"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.subtract(a, b)]


@register
class Mul(BroadcastOp):
    op_type = "Mul"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.multiply(a, b)]


def truncated_divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Integer division rounding toward zero (C semantics), exact for all int64 values."""
    quotient = np.floor_divide(a, b)
    inexact = (quotient * b != a) & ((a < 0) != (b < 0))
    return quotient + inexact.astype(quotient.dtype)


@register
class Div(BroadcastOp):
    op_type = "Div"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        if a.dtype.kind in "iu":
            with np.errstate(divide="ignore"):
                return [truncated_divide(a, b)]
        return [np.divide(a, b)]


@register
class Mod(BroadcastOp):
    op_type = "Mod"
    attrs = {"fmod": 0}

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        if attrs["fmod"] or a.dtype.kind == "f":
            return [np.fmod(a, b)]
        return [np.mod(a, b)]


@register
class Pow(BroadcastOp):
    op_type = "Pow"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        if a.dtype.kind == "f":
            return [np.power(a, b.astype(a.dtype, copy=False))]
        return [np.power(a.astype(np.float64), b.astype(np.float64)).astype(a.dtype)]


class VariadicOp(BroadcastOp):
    """Folds any number of broadcast inputs with a binary NumPy function."""

    def evaluate(self, attrs: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(functools.reduce(self.combine, xs)).astype(xs[0].dtype, copy=False)]

    def combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        raise NotImplementedError


@register
class Min(VariadicOp):
    op_type = "Min"

    def combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)


@register
class Max(VariadicOp):
    op_type = "Max"

    def combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)


@register
class Sum(VariadicOp):
    op_type = "Sum"

    def combine(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.add(a, b)


@register
class Mean(VariadicOp):
    op_type = "Mean"

    def evaluate(self, attrs: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
        total = functools.reduce(np.add, xs)
        return [(total / xs[0].dtype.type(len(xs))).astype(xs[0].dtype, copy=False)]
