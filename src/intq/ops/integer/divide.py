"""IntDiv and IntL2Normalize: division by a run-time integer tensor (``quant.divide``).

IntDiv is ``Div`` of two activations — masked mean pooling divides a sum by the token count —
with the output's rescale folded into the same rounding. IntL2Normalize is ``x / ||x||₂``
along one axis (sentence embeddings), with an integer square root.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import (ElementwiseIntegerOp, clamp_bounds, full_hi, full_lo,
                                   needs_range, out_dtype)
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import broadcast_shapes, register
from intq.quant.divide import PRODUCT_LIMIT, l2_normalize, scaled_div

PRECISION = {"bits": 8, "signed": 1, "lo": full_lo, "hi": full_hi}


def _clamped(y: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    lo, hi = clamp_bounds(attrs)
    return np.asarray(np.clip(y, lo, hi)).astype(out_dtype(attrs))


def _output_range(attrs: dict[str, Any]) -> IntRange:
    return IntRange.of(*clamp_bounds(attrs))


@register
class IntDiv(ElementwiseIntegerOp):
    """``y = clamp(round(a * m / (b * 2^k)), lo, hi)``, ties up, broadcast like Div; 0
    where ``b <= 0``.

    Inputs: ``a``, ``b`` (int). Attributes: ``m`` (int >= 1), ``k`` (int >= 0), and the
    output precision ``bits``, ``signed``, ``lo``, ``hi``.
    """

    op_type = "IntDiv"
    attrs = {"m": 1, "k": 0, **PRECISION}

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [_clamped(scaled_div(a, b, int(attrs["m"]), int(attrs["k"])), attrs)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(broadcast_shapes(types[0].shape, types[1].shape),
                           out_dtype(attrs).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        a = needs_range(ranges, 0, "IntDiv input a").magnitude()
        b = needs_range(ranges, 1, "IntDiv input b").magnitude()
        m, k = int(attrs["m"]), int(attrs["k"])
        if m < 1 or not 0 <= k <= 62 or 2 * a * m + (b << k) > PRODUCT_LIMIT \
                or (b << (k + 1)) > PRODUCT_LIMIT:
            raise ValueError(f"IntDiv with |a| <= {a}, |b| <= {b}, m {m}, k {k} could "
                             "overflow int64")
        return [_output_range(attrs)]


@register
class IntL2Normalize(ElementwiseIntegerOp):
    """``y = clamp(round(out_max * x / ||x||₂), lo, hi)`` along ``axis`` (``quant.divide.
    l2_normalize``); the real output is ``y / out_max``.

    Input: ``x`` (int). Attributes: ``axis``, ``out_max`` (int >= 1), ``shift`` (int >= 0,
    the root's extra precision), and the output precision ``bits``, ``signed``, ``lo``,
    ``hi``.
    """

    op_type = "IntL2Normalize"
    attrs = {"axis": -1, "out_max": 127, "shift": 0, **PRECISION}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        y = l2_normalize(x, int(attrs["axis"]), int(attrs["out_max"]), int(attrs["shift"]))
        return [_clamped(y, attrs)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        x = needs_range(ranges, 0, "IntL2Normalize input").magnitude()
        shape = types[0].shape if types and types[0] is not None else None
        axis = int(attrs["axis"])
        if shape is None or not isinstance(shape[axis], int):
            raise ValueError(f"IntL2Normalize over axis {axis} of shape {shape}: the size "
                             "must be static to bound the sum of squares")
        energy = (shape[axis] * x * x) << (2 * int(attrs["shift"]))
        numerator = x * (int(attrs["out_max"]) << int(attrs["shift"]))
        if energy > PRODUCT_LIMIT or 4 * numerator > PRODUCT_LIMIT:
            raise ValueError(f"IntL2Normalize of {shape[axis]} values |x| <= {x} with shift "
                             f"{attrs['shift']} could overflow int64")
        return [_output_range(attrs)]

