"""Kernels defined on signed inputs (integer softmax, layer norm) take an unsigned activation
as a signed one of one more bit: the same integers and scale, so the rescale is exact."""

from __future__ import annotations

from intq.ir.graph import QuantInfo
from intq.quantize.context import Lowering


def signed_form(ctx: Lowering, value: str) -> str:
    quant = ctx.quant(value)
    if quant.signed:
        return value
    return ctx.requantize(value, 1.0, QuantInfo(quant.bits + 1, True, quant.scale),
                          name=f"{value}_signed")
