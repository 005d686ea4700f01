"""Activation functions: elementwise nonlinearities with ONNX attribute names and defaults.

Formulas are written in overflow-free forms (``tanh`` for the logistic, ``logaddexp`` for
softplus) so large inputs give the saturated value ONNX Runtime gives, without warnings.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from intq.ops.base import BroadcastOp, SameTypeOp, UnaryOp
from intq.ops.registry import register
from intq.ops.special import erf


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(x.dtype.type(0), x)


@register
class Relu(UnaryOp):
    op_type = "Relu"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.maximum(x, x.dtype.type(0))


@register
class LeakyRelu(UnaryOp):
    op_type = "LeakyRelu"
    attrs = {"alpha": 0.01}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.where(x >= 0, x, x * np.float32(attrs["alpha"]))


@register
class PRelu(BroadcastOp):
    """LeakyRelu with a learned slope tensor broadcast against X."""

    op_type = "PRelu"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, slope: np.ndarray
                 ) -> list[np.ndarray]:
        return [np.where(x < 0, x * slope, x).astype(x.dtype, copy=False)]


@register
class Elu(UnaryOp):
    op_type = "Elu"
    attrs = {"alpha": 1.0}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        negative = np.float32(attrs["alpha"]) * np.expm1(np.minimum(x, 0))
        return np.where(x > 0, x, negative)


@register
class Celu(UnaryOp):
    op_type = "Celu"
    attrs = {"alpha": 1.0}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        alpha = np.float32(attrs["alpha"])
        return np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(np.minimum(x, 0) / alpha))


@register
class Selu(UnaryOp):
    op_type = "Selu"
    attrs = {"alpha": 1.67326319217681884765625, "gamma": 1.05070102214813232421875}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        alpha, gamma = np.float32(attrs["alpha"]), np.float32(attrs["gamma"])
        return gamma * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


@register
class ThresholdedRelu(UnaryOp):
    op_type = "ThresholdedRelu"
    attrs = {"alpha": 1.0}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.where(x > np.float32(attrs["alpha"]), x, 0)


@register
class Sigmoid(UnaryOp):
    op_type = "Sigmoid"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return sigmoid(x)


@register
class HardSigmoid(UnaryOp):
    op_type = "HardSigmoid"
    attrs = {"alpha": 0.2, "beta": 0.5}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.clip(np.float32(attrs["alpha"]) * x + np.float32(attrs["beta"]), 0, 1)


@register
class HardSwish(UnaryOp):
    op_type = "HardSwish"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return x * np.clip(x * np.float32(1 / 6) + np.float32(0.5), 0, 1)


@register
class Tanh(UnaryOp):
    op_type = "Tanh"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return np.tanh(x)


@register
class Softplus(UnaryOp):
    op_type = "Softplus"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return softplus(x)


@register
class Softsign(UnaryOp):
    op_type = "Softsign"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return x / (1 + np.abs(x))


@register
class Mish(UnaryOp):
    op_type = "Mish"

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        return x * np.tanh(softplus(x))


@register
class Gelu(UnaryOp):
    """Gelu (opset 20): exact erf form, or the tanh approximation with ``approximate="tanh"``."""

    op_type = "Gelu"
    attrs = {"approximate": "none"}

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        if attrs["approximate"] == "tanh":
            inner = np.float32(np.sqrt(2 / np.pi)) * (x + np.float32(0.044715) * x * x * x)
            return np.float32(0.5) * x * (1 + np.tanh(inner))
        if attrs["approximate"] != "none":
            raise ValueError(f"Gelu approximate must be 'none' or 'tanh', got "
                             f"{attrs['approximate']!r}")
        return np.float32(0.5) * x * (1 + erf(x * np.float32(np.sqrt(0.5))))


@register
class Clip(SameTypeOp):
    """Clamp to the optional ``min``/``max`` inputs (opset 11+ form; attributes became inputs).

    On integer tensors a bound beyond the dtype's range is saturated to it, not wrapped."""

    op_type = "Clip"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, low: np.ndarray | None = None,
                 high: np.ndarray | None = None) -> list[np.ndarray]:
        bounds = [None if v is None or not v.size else _bound_as(v, x.dtype)
                  for v in (low, high)]
        if all(b is None for b in bounds):
            return [x]
        return [np.clip(x, *bounds)]


def _bound_as(bound: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype.kind in "iu" and bound.dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.array(min(max(int(bound.reshape(-1)[0]), info.min), info.max), dtype=dtype)
    return bound.astype(dtype).reshape(())
