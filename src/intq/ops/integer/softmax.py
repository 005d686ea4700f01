"""IntSoftmax: I-BERT integer softmax (``quant.nonlinear.softmax``) as a graph op.

The compile-time plan's integer constants travel as attributes; ``softmax_attrs`` and
``softmax_plan`` convert between the two, so the quantizer never spells them out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer import jit
from intq.ops.integer.base import IntegerOp, as_rows, checked_rows, from_rows, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.dyadic import PRODUCT_LIMIT
from intq.quant.fixedpoint import storage_dtype
from intq.quant.nonlinear.exp import EXP_FRAC_BITS, POLY_A, ZERO_SHIFT, ExpPlan
from intq.quant.nonlinear.softmax import SoftmaxPlan, i_softmax

_STEP = math.log(2) / (1 << EXP_FRAC_BITS)
EXP_OUT_SCALE = POLY_A * _STEP * _STEP
"""``i_exp``'s output scale; the same for every input scale (the reduced grid is fixed)."""


def softmax_attrs(plan: SoftmaxPlan, axis: int = -1) -> dict[str, Any]:
    """The IntSoftmax attributes that carry ``plan``."""
    e = plan.exp
    return {"axis": axis, "in_bits": plan.in_bits, "bits": plan.out_bits,
            "in_clamp": e.in_clamp, "m": e.m, "k": e.k, "poly_b": e.poly_b, "poly_c": e.poly_c}


def softmax_plan(attrs: dict[str, Any]) -> SoftmaxPlan:
    """The plan an IntSoftmax node's attributes describe."""
    b, c = int(attrs["poly_b"]), int(attrs["poly_c"])
    exp = ExpPlan(int(attrs["in_clamp"]), int(attrs["m"]), int(attrs["k"]), b, c,
                  EXP_OUT_SCALE, b * b + c)
    return SoftmaxPlan(exp, int(attrs["in_bits"]), int(attrs["bits"]))


@register
class IntSoftmax(IntegerOp):
    """Probabilities ``round(2^bits * e / sum e)`` along ``axis``, unsigned ``bits`` wide
    (scale ``2^-bits``). Masked positions, and inputs equal to the smallest ``in_bits``
    value, get exactly 0.

    Inputs: ``q`` (signed int of ``in_bits``), ``mask`` (optional bool, broadcastable to
    ``q``; true = masked). Attributes (from ``softmax_attrs(plan_i_softmax(...))``):
    - ``axis`` (int, default -1);
    - ``in_bits`` (int, required): input precision (signed);
    - ``bits`` (int, default 8): output precision (unsigned, at most 24);
    - ``in_clamp``, ``m``, ``k``, ``poly_b``, ``poly_c`` (int, required): the ``ExpPlan``.
    """

    op_type = "IntSoftmax"
    attrs = {"axis": -1, "in_bits": REQUIRED, "bits": 8, "in_clamp": REQUIRED, "m": REQUIRED,
             "k": REQUIRED, "poly_b": REQUIRED, "poly_c": REQUIRED}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray, mask: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        return [i_softmax(q, softmax_plan(attrs), attrs["axis"], mask)]

    def evaluate_fast(self, attrs: dict[str, Any], q: np.ndarray, mask: np.ndarray | None = None
                      ) -> list[np.ndarray]:
        """The reference's integers from ``jit.softmax_rows`` (one compiled pass per row);
        anything the reference would reject, and everything without numba, runs the
        reference."""
        plan, axis = softmax_plan(attrs), attrs["axis"]
        rows = checked_rows(q, axis, None, plan.in_bits) if jit.enabled() else None
        if rows is None or (mask is not None and (not isinstance(mask, np.ndarray)
                                                  or mask.dtype != np.bool_)):
            return self.evaluate(attrs, q, mask)
        lowest = -(1 << (plan.in_bits - 1))  # the masking "minus infinity"
        drop = q == lowest
        if mask is not None:
            try:
                drop |= np.broadcast_to(mask, q.shape)
            except ValueError:
                return self.evaluate(attrs, q, mask)
        out = np.empty(rows.shape, dtype=storage_dtype(plan.out_bits, False))
        jit.softmax_rows(rows, as_rows(drop, axis), lowest, plan.exp, EXP_FRAC_BITS, ZERO_SHIFT,
                         plan.out_bits, out)
        return [from_rows(out, q.shape, axis)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, storage_dtype(attrs["bits"], False).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        q = needs_range(ranges, 0, "IntSoftmax input q").hull()
        plan = softmax_plan(attrs)
        if not q.fits(-(1 << (plan.in_bits - 1)), (1 << (plan.in_bits - 1)) - 1):
            raise ValueError(f"input range [{q.low}, {q.high}] exceeds the declared "
                             f"{plan.in_bits}-bit signed input")
        if plan.exp.in_clamp * plan.exp.m > PRODUCT_LIMIT:
            raise ValueError("in_clamp * m exceeds 2^62; rebuild the plan with plan_i_softmax")
        return [IntRange.of(0, (1 << plan.out_bits) - 1)]
