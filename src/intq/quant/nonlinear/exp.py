"""Integer exponential for non-positive inputs (I-BERT's i-exp), the core of integer softmax.

``exp(x) = 2^-z * exp(p)`` with ``z = floor(-x / ln2)`` and ``p`` in ``(-ln2, 0]``; ``exp(p)`` is
I-BERT's second-order polynomial ``0.3585 (p + 1.353)^2 + 0.344`` and ``2^-z`` is a shift.

One change to I-BERT: instead of dividing by ``q_ln2 = floor(ln2 / S)``, which is coarse for
8-bit input scales (S = 0.05 gives ln2 ~ 0.65), the input is first rescaled by one dyadic
multiply to a fixed-point grid of ``ln2 / 2^EXP_FRAC_BITS``. On that grid ``ln2`` is exactly
``2^EXP_FRAC_BITS``, so the range reduction is an exact shift and mask.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intq.quant.dyadic import dyadic_from_real, mult_bits_for_bound
from intq.quant.fixedpoint import as_int64, round_half_up_shift

EXP_FRAC_BITS = 14
"""Fraction bits of the reduced argument; keeps the polynomial (and the output) below 2^31."""

POLY_A, POLY_B, POLY_C = 0.3585, 1.353, 0.344

ZERO_SHIFT = 2 * EXP_FRAC_BITS + 4
"""``z`` from which the output is exactly 0: the polynomial stays below ``2^(2F+3)``."""


@dataclass(frozen=True)
class ExpPlan:
    """Integer constants of ``i_exp`` for one input scale; output scale is ``out_scale``."""

    in_clamp: int
    """Inputs below ``-in_clamp`` already give 0; clamping them keeps the multiply in int64."""
    m: int
    k: int
    poly_b: int
    poly_c: int
    out_scale: float
    out_bound: int


def plan_i_exp(in_scale: float) -> ExpPlan:
    """Compile-time constants for ``i_exp`` of inputs with scale ``in_scale``."""
    in_scale = float(in_scale)
    if not math.isfinite(in_scale) or in_scale <= 0:
        raise ValueError(f"in_scale must be finite and positive, got {in_scale!r}")
    step = math.log(2) / (1 << EXP_FRAC_BITS)
    in_clamp = math.ceil((ZERO_SHIFT + 2) * math.log(2) / in_scale)
    m, k = dyadic_from_real(in_scale / step, mult_bits_for_bound(in_clamp))
    poly_b = round(POLY_B / step)
    poly_c = round(POLY_C / (POLY_A * step * step))
    return ExpPlan(in_clamp, m, k, poly_b, poly_c, POLY_A * step * step, poly_b**2 + poly_c)


def i_exp(q: np.ndarray, plan: ExpPlan) -> np.ndarray:
    """``exp(in_scale * q) / plan.out_scale`` for ``q <= 0``, as int64 at most ``out_bound``."""
    q = as_int64(q, "q")
    if q.size and q.max() > 0:
        raise ValueError("i_exp needs non-positive inputs; subtract the maximum first")
    t = round_half_up_shift(np.maximum(q, -plan.in_clamp) * plan.m, plan.k)
    z = (-t) >> EXP_FRAC_BITS
    p = t + (z << EXP_FRAC_BITS)
    return round_half_up_shift((p + plan.poly_b) ** 2 + plan.poly_c, np.minimum(z, ZERO_SHIFT))
