"""Integer GELU (I-BERT's i-GELU): ``x * Phi(x)`` with ``erf`` from a clipped 2nd-order polynomial.

``erf(u) ~ sgn(u) * (1 - |a| (min(|u|, -b) + b)^2)`` with ``a = -0.2888``, ``b = -1.769``, and
``GELU(x) = x (1 + erf(x / sqrt2)) / 2``. As in ``i_exp``, the input is first rescaled by one
dyadic multiply to a fixed-point grid (``2^-GELU_FRAC_BITS`` in units of ``x / sqrt2``), so
the polynomial does not depend on how coarse the input scale is. ``Phi`` comes out in Q31 (its
saturated value is exactly 1, so large inputs pass through unchanged) and is folded into the
31-bit output multiplier before the product with ``q``, which keeps ~30 bits of multiplier
precision even for 32-bit inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intq.quant.dyadic import MAX_SHIFT, dyadic_from_real, mult_bits_for_bound
from intq.quant.fixedpoint import as_int64, int_range, round_half_up_shift, saturate

GELU_FRAC_BITS = 24
ERF_A, ERF_B = -0.2888, -1.769
ERF_BITS = 30
"""``|erf|`` is computed in Q30 and ``Phi = (1 + erf) / 2`` therefore in Q31."""
SQUARE_SHIFT = 2 * GELU_FRAC_BITS - 29
"""Brings ``(min(|u|, clip) - clip)^2`` (<= 2^49.7) below 2^31 before its product with ``|a|``."""


@dataclass(frozen=True)
class GeluPlan:
    """Integer constants of ``i_gelu`` for one input and one output quantization."""

    in_bits: int
    in_clamp: int
    """``|q|`` beyond which erf is saturated; clamping keeps the first multiply in int64."""
    u_m: int
    u_k: int
    clip: int
    a_m: int
    a_k: int
    """``|a|`` as ``a_m / 2^a_k``, converting the shifted square to Q30."""
    mult: int
    mult_shift: int
    out_shift: int
    """Output is ``round(q * round(Phi_q31 * mult / 2^mult_shift) / 2^out_shift)``."""
    out_bits: int
    out_signed: bool


def plan_i_gelu(in_scale: float, in_bits: int, out_scale: float, out_bits: int,
                out_signed: bool = True) -> GeluPlan:
    """Compile-time constants for GELU from signed ``in_bits`` inputs to the output grid."""
    for name, scale in (("in_scale", in_scale), ("out_scale", out_scale)):
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"{name} must be finite and positive, got {scale!r}")
    in_bound = -int_range(in_bits, True)[0]
    int_range(out_bits, out_signed)
    frac = 1 << GELU_FRAC_BITS
    clip = round(-ERF_B * frac)
    in_clamp = math.ceil(2 * -ERF_B * math.sqrt(2) / in_scale)
    u_m, u_k = dyadic_from_real(in_scale / math.sqrt(2) * frac, mult_bits_for_bound(in_clamp))
    square_bound = (clip**2 >> SQUARE_SHIFT) + 1
    a_m, a_k = dyadic_from_real(-ERF_A * 2.0 ** (ERF_BITS + SQUARE_SHIFT) / frac**2,
                                mult_bits_for_bound(square_bound))
    mult, k = dyadic_from_real(in_scale / out_scale)
    phi_bits = ERF_BITS + 1
    mult_shift = max(0, ((in_bound * mult) << phi_bits).bit_length() - 61,
                     k + phi_bits - MAX_SHIFT)
    if mult_shift > k + phi_bits:
        raise ValueError(f"GELU of {in_bits}-bit inputs at this output scale does not fit int64; "
                         "coarsen out_scale")
    return GeluPlan(in_bits, in_clamp, u_m, u_k, clip, a_m, a_k, mult, mult_shift,
                    k + phi_bits - mult_shift, out_bits, out_signed)


def i_gelu(q: np.ndarray, plan: GeluPlan) -> np.ndarray:
    """GELU of signed ``in_bits`` integers, requantized to the plan's output precision."""
    q = as_int64(q, "q")
    lo, hi = int_range(plan.in_bits, True)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"GELU input outside its declared {plan.in_bits}-bit range")
    u = round_half_up_shift(np.clip(q, -plan.in_clamp, plan.in_clamp) * plan.u_m, plan.u_k)
    w = round_half_up_shift((np.minimum(np.abs(u), plan.clip) - plan.clip) ** 2, SQUARE_SHIFT)
    erf = (1 << ERF_BITS) - round_half_up_shift(w * plan.a_m, plan.a_k)
    phi = (1 << ERF_BITS) + np.sign(q) * erf
    factor = round_half_up_shift(phi * plan.mult, plan.mult_shift)
    return saturate(round_half_up_shift(q * factor, plan.out_shift), plan.out_bits,
                    plan.out_signed)
