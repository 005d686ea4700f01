"""Integer layer norm (I-BERT): integer mean and variance, ``i_sqrt``, a reciprocal, one affine.

Per row of ``n`` values: ``d = n q - sum(q)`` is ``n`` times the deviation from the mean, exactly
(no rounded mean). Each row is then shifted (right or left, by its own bit length, so rows are
independent of each other) to about ``(61 - bits(n)) / 2`` bits, which keeps ``sum(d^2)`` in
int64 and the root precise. ``x_hat = sqrt(n) d / sqrt(sum(d^2) + n^3 eps / s^2)`` becomes a
``Z``-bit fraction through ``floor(2^61 / root)``; ``gamma`` and ``beta`` are folded into one
per-channel integer multiply-add rounded once into the output grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intq.quant.fixedpoint import as_int64, bit_length, int_range, round_half_up_shift, saturate
from intq.quant.nonlinear.sqrt import i_sqrt

NORM_FRAC_BITS = 24
"""Fraction bits of ``x_hat / sqrt(n)``; far below the output's resolution."""

RECIPROCAL_BITS = 61


@dataclass(frozen=True)
class LayerNormPlan:
    """Integer constants of ``i_layernorm`` for one normalized length ``n``."""

    in_bits: int
    n: int
    row_bits: int
    """Rows are shifted so their largest ``|d|`` has this many bits; ``n 4^row_bits <= 2^61``."""
    max_left_shift: int
    """Largest left shift of a row; also the fixed-point position of ``eps``."""
    eps: int
    """``round(n^3 eps / in_scale^2 * 4^max_left_shift)``, shifted along with each row's ``d^2``."""
    gain: np.ndarray
    """Per channel ``round(gamma sqrt(n) / out_scale * 2^(out_shift - NORM_FRAC_BITS))``."""
    bias: np.ndarray
    """Per channel ``round(beta / out_scale * 2^out_shift)``."""
    out_shift: int
    out_bits: int
    out_signed: bool


def plan_i_layernorm(in_scale: float, in_bits: int, n: int, gamma: np.ndarray | None,
                     beta: np.ndarray | None, eps: float, out_scale: float, out_bits: int,
                     out_signed: bool = True, channels: int | None = None) -> LayerNormPlan:
    """Compile-time constants for layer norm over ``n`` signed ``in_bits`` values; ``gamma``
    and ``beta`` hold ``channels`` values (default ``n``: one per normalized element; group
    norm has one per channel instead)."""
    for name, scale in (("in_scale", in_scale), ("out_scale", out_scale)):
        if not math.isfinite(scale) or scale <= 0:
            raise ValueError(f"{name} must be finite and positive, got {scale!r}")
    if not math.isfinite(eps) or eps < 0:
        raise ValueError(f"eps must be finite and non-negative, got {eps!r}")
    int_range(in_bits, True)
    int_range(out_bits, out_signed)
    n = int(n)
    if n < 1 or n * (1 << in_bits) > 1 << 62:
        raise ValueError(f"layer norm over n={n} values of {in_bits} bits does not fit int64")
    gamma = _per_channel(gamma, channels or n, 1.0, "gamma")
    beta = _per_channel(beta, channels or n, 0.0, "beta")
    row_bits = (61 - n.bit_length()) // 2
    eps_real = n**3 * eps / in_scale**2
    if not eps_real < 2.0**61:
        raise ValueError("eps is too large for this input scale (n^3 eps / in_scale^2 >= 2^61)")
    max_left_shift = next(j for j in range(row_bits, -1, -1) if eps_real * 4.0**j < 2.0**61)
    gain_real = gamma * math.sqrt(n) / out_scale
    bias_real = beta / out_scale
    largest = math.ceil(np.abs(gain_real).max() + np.abs(bias_real).max() + 1)
    gain_bits = 61 - NORM_FRAC_BITS - largest.bit_length()
    if gain_bits < 0:
        raise ValueError("layer norm output scale is too fine for gamma/beta; coarsen out_scale")
    out_shift = NORM_FRAC_BITS + gain_bits
    gain = np.rint(gain_real * 2.0**gain_bits).astype(np.int64)
    bias = np.rint(bias_real * 2.0**out_shift).astype(np.int64)
    return LayerNormPlan(in_bits, n, row_bits, max_left_shift,
                         round(eps_real * 4.0**max_left_shift), gain, bias, out_shift, out_bits,
                         out_signed)


def i_layernorm(q: np.ndarray, plan: LayerNormPlan, axis: int = -1) -> np.ndarray:
    """Layer norm of signed ``in_bits`` integers along ``axis``, in the plan's output precision."""
    q = as_int64(q, "q")
    lo, hi = int_range(plan.in_bits, True)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"layer norm input outside its declared {plan.in_bits}-bit range")
    if not -q.ndim <= axis < q.ndim or q.shape[axis] != plan.n:
        raise ValueError(f"layer norm planned for {plan.n} values, got shape {q.shape} "
                         f"on axis {axis}")
    x_hat = i_normalize(np.moveaxis(q, axis, -1), plan)
    out = round_half_up_shift(x_hat * plan.gain + plan.bias, plan.out_shift)
    return np.moveaxis(saturate(out, plan.out_bits, plan.out_signed), -1, axis)


def i_normalize(q: np.ndarray, plan: LayerNormPlan) -> np.ndarray:
    """``x_hat / sqrt(n)`` of each last-axis row of int64 ``q`` as a ``NORM_FRAC_BITS``-bit
    fraction: the integer mean, variance and root, before gamma and beta."""
    d = plan.n * q - q.sum(axis=-1, keepdims=True)
    widest = bit_length(np.abs(d).max(axis=-1, keepdims=True))
    shift = np.maximum(widest - plan.row_bits, -plan.max_left_shift)
    right, left = np.maximum(shift, 0), np.maximum(-shift, 0)
    y = round_half_up_shift(d, right) << left
    eps = round_half_up_shift(plan.eps, np.minimum(2 * (shift + plan.max_left_shift), 62))
    root = i_sqrt((y * y).sum(axis=-1, keepdims=True) + eps)
    inverse = np.where(root > 0, (1 << RECIPROCAL_BITS) // np.maximum(root, 1), 0)
    return round_half_up_shift(y * inverse, RECIPROCAL_BITS - NORM_FRAC_BITS)


def _per_channel(values: np.ndarray | None, n: int, default: float, name: str) -> np.ndarray:
    if values is None:
        return np.full(n, default)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (n,) or not np.isfinite(values).all():
        raise ValueError(f"{name} must hold {n} finite values, got shape {values.shape}")
    return values
