"""IntLayerNorm: I-BERT integer layer norm (``quant.nonlinear.layernorm``) as a graph op.

Scalar plan constants are attributes, the folded gamma/beta vectors (``gain``, ``bias``) are
int64 constant inputs; ``layernorm_attrs`` and ``layernorm_plan`` convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer import jit
from intq.ops.integer.base import ElementwiseIntegerOp, checked_rows, from_rows, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.nonlinear.layernorm import (NORM_FRAC_BITS, RECIPROCAL_BITS, LayerNormPlan,
                                            i_layernorm)


def layernorm_attrs(plan: LayerNormPlan, axis: int = -1) -> dict[str, Any]:
    """The IntLayerNorm attributes that carry ``plan`` (its ``gain``/``bias`` are inputs)."""
    return {"axis": axis, "in_bits": plan.in_bits, "row_bits": plan.row_bits,
            "max_left_shift": plan.max_left_shift, "eps": plan.eps,
            "out_shift": plan.out_shift, "bits": plan.out_bits, "signed": int(plan.out_signed)}


def layernorm_plan(attrs: dict[str, Any], gain: np.ndarray, bias: np.ndarray) -> LayerNormPlan:
    """The plan an IntLayerNorm node describes."""
    gain = np.asarray(gain, dtype=np.int64).reshape(-1)
    bias = np.asarray(bias, dtype=np.int64).reshape(-1)
    if gain.shape != bias.shape:
        raise ValueError(f"IntLayerNorm gain {gain.shape} and bias {bias.shape} differ in size")
    return LayerNormPlan(int(attrs["in_bits"]), gain.size, int(attrs["row_bits"]),
                         int(attrs["max_left_shift"]), int(attrs["eps"]), gain, bias,
                         int(attrs["out_shift"]), int(attrs["bits"]), bool(attrs["signed"]))


@register
class IntLayerNorm(ElementwiseIntegerOp):
    """Layer norm over ``axis`` with integer mean, variance, ``i_sqrt`` and one rounding.

    Inputs: ``q`` (signed int of ``in_bits``), ``gain``, ``bias`` (int64 constants, one per
    normalized element: the plan's folded gamma and beta). Attributes (from
    ``layernorm_attrs(plan_i_layernorm(...))``):
    - ``axis`` (int, default -1): the normalized axis;
    - ``in_bits``, ``row_bits``, ``max_left_shift``, ``eps``, ``out_shift`` (int, required);
    - ``bits`` (int, default 8), ``signed`` (int 0/1, default 1): output precision.
    """

    op_type = "IntLayerNorm"
    attrs = {"axis": -1, "in_bits": REQUIRED, "row_bits": REQUIRED, "max_left_shift": REQUIRED,
             "eps": REQUIRED, "out_shift": REQUIRED, "bits": 8, "signed": 1}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray, gain: np.ndarray, bias: np.ndarray
                 ) -> list[np.ndarray]:
        return [i_layernorm(q, layernorm_plan(attrs, gain, bias), attrs["axis"])]

    def evaluate_fast(self, attrs: dict[str, Any], q: np.ndarray, gain: np.ndarray,
                      bias: np.ndarray) -> list[np.ndarray]:
        """The reference's integers from ``jit.layernorm_rows`` (one compiled pass per row
        instead of NumPy's dozen over the whole tensor); anything the reference would
        reject, and everything without numba, runs the reference."""
        plan = layernorm_plan(attrs, gain, bias)
        rows = checked_rows(q, attrs["axis"], plan.n, plan.in_bits) if jit.enabled() else None
        if rows is None:
            return self.evaluate(attrs, q, gain, bias)
        lo, hi = int_range(plan.out_bits, plan.out_signed)
        out = np.empty(rows.shape, dtype=storage_dtype(plan.out_bits, plan.out_signed))
        jit.layernorm_rows(rows, plan.gain, plan.bias, plan.row_bits, plan.max_left_shift,
                           plan.eps, RECIPROCAL_BITS - NORM_FRAC_BITS, plan.out_shift, lo, hi,
                           out)
        return [from_rows(out, q.shape, attrs["axis"])]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        q = needs_range(ranges, 0, "IntLayerNorm input q").hull()
        bits = int(attrs["in_bits"])
        if not q.fits(-(1 << (bits - 1)), (1 << (bits - 1)) - 1):
            raise ValueError(f"input range [{q.low}, {q.high}] exceeds the declared "
                             f"{bits}-bit signed input")
        return [IntRange.of_bits(attrs["bits"], attrs["signed"])]
