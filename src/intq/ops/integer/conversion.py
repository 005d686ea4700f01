"""Quantize and Dequantize: the only float arithmetic of a quantized graph, at its edges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import ElementwiseIntegerOp, IntegerOp
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.qparams import dequantize, quantize


@register
class Quantize(ElementwiseIntegerOp):
    """``q = saturate(round_half_to_even(x / scale))``, dividing in float32 like ONNX
    ``QuantizeLinear``.

    Inputs: ``x`` (float). Attributes:
    - ``scale`` (float, required): per-tensor scale;
    - ``bits`` (int, default 8), ``signed`` (int 0/1, default 1): output precision, stored in
      the narrowest dtype holding it (int8/uint8 for 8 bits).
    """

    op_type = "Quantize"
    attrs = {"scale": REQUIRED, "bits": 8, "signed": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(quantize(x, float(attrs["scale"]), attrs["bits"],
                                   bool(attrs["signed"])))]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        return [IntRange.of_bits(attrs["bits"], attrs["signed"])]


@register
class Dequantize(IntegerOp):
    """``r = float32(q) * float32(scale)`` like ONNX ``DequantizeLinear``; output float32.

    Inputs: ``q`` (int). Attributes:
    - ``scale`` (float, or list of floats for per-channel, required);
    - ``axis`` (int, default 1): the channel axis of a per-channel ``scale``.
    """

    op_type = "Dequantize"
    attrs = {"scale": REQUIRED, "axis": 1}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray) -> list[np.ndarray]:
        scale = attrs["scale"]
        if isinstance(scale, list):
            return [dequantize(q, np.asarray(scale, dtype=np.float64), attrs["axis"])]
        return [np.asarray(dequantize(q, float(scale)))]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, "float32")]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        return [None]
