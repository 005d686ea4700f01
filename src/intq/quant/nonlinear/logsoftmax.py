"""Integer log-softmax: ``y = s d - ln(sum e)`` with integer softmax's pieces and a log2 table.

Per row, ``d = q - max(q)`` (exact, <= 0) and ``e = i_exp(d)`` (integer softmax's exponential,
real value ``e * exp_scale``). ``ln(sum e * exp_scale) = ln2 log2(total) + ln(exp_scale)``,
and ``log2(total) = L + log2(1 + f)`` with ``L = bit_length(total) - 1``: the top
``LOG_INDEX_BITS`` bits of the fraction ``f`` index a table of ``log2(1 + f)`` at the middle
of each interval, in ``LOG_FRAC_BITS`` fraction bits. The three terms meet in one int64 sum
and one rounding onto the output grid:
``y = round((m_d d 2^T - m_l (L 2^T + table) + c) / 2^(K + T))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intq.quant.fixedpoint import as_int64, bit_length, int_range, round_half_up_shift, saturate
from intq.quant.nonlinear.exp import ExpPlan, i_exp, plan_i_exp

LOG_INDEX_BITS = 10
"""Table index bits: log2(1 + f) moves at most 1.45 * 2^-11 within an interval (3e-4 in ln)."""
LOG_FRAC_BITS = 16
MULT_BITS = 24
"""Multipliers ``m_d``, ``m_l`` are about this wide, which keeps ``m_d d 2^T`` below 2^58 for
inputs of up to 16 bits."""


@dataclass(frozen=True)
class LogSoftmaxPlan:
    """Integer constants of ``i_log_softmax``."""

    exp: ExpPlan
    in_bits: int
    m_d: int
    m_l: int
    c: int
    shift: int
    """``K + LOG_FRAC_BITS``."""
    out_bits: int
    out_signed: bool


def log2_table() -> np.ndarray:
    """``round(log2(1 + (i + 1/2) / 2^B) 2^T)`` for each index ``i``."""
    i = np.arange(1 << LOG_INDEX_BITS, dtype=np.float64)
    return np.rint(np.log2(1 + (i + 0.5) / (1 << LOG_INDEX_BITS)) * (1 << LOG_FRAC_BITS)
                   ).astype(np.int64)


LOG2_TABLE = log2_table()


def plan_i_log_softmax(in_scale: float, in_bits: int, out_scale: float, out_bits: int,
                       out_signed: bool = True) -> LogSoftmaxPlan:
    """Compile-time constants for log-softmax of signed ``in_bits`` inputs."""
    int_range(out_bits, out_signed)
    if not 2 <= in_bits <= 16:
        raise ValueError(f"log-softmax inputs must be 2 to 16 bits wide, got {in_bits}")
    if not math.isfinite(out_scale) or out_scale <= 0:
        raise ValueError(f"out_scale must be finite and positive, got {out_scale!r}")
    exp = plan_i_exp(in_scale)
    ratio = max(in_scale, math.log(2)) / out_scale
    k = MULT_BITS - math.ceil(math.log2(ratio))
    if k < 0:
        raise ValueError("log-softmax output scale is too coarse for its input scale")
    m_d = round(in_scale / out_scale * 2.0**k)
    m_l = round(math.log(2) / out_scale * 2.0**k)
    c = round(-math.log(exp.out_scale) / out_scale * 2.0 ** (k + LOG_FRAC_BITS))
    return LogSoftmaxPlan(exp, in_bits, m_d, m_l, c, k + LOG_FRAC_BITS, out_bits, out_signed)


def log2_fixed(total: np.ndarray) -> np.ndarray:
    """``log2(total)`` of positive int64 ``total`` in ``LOG_FRAC_BITS`` fraction bits (table)."""
    top = bit_length(total) - 1
    right = np.maximum(top - LOG_INDEX_BITS, 0)
    left = np.maximum(LOG_INDEX_BITS - top, 0)
    index = ((total >> right) << left) - (1 << LOG_INDEX_BITS)
    return (top << LOG_FRAC_BITS) + LOG2_TABLE[index]


def i_log_softmax(q: np.ndarray, plan: LogSoftmaxPlan, axis: int = -1) -> np.ndarray:
    """Log-probabilities along ``axis`` in the plan's output precision."""
    q = as_int64(q, "q")
    lo, hi = int_range(plan.in_bits, True)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"log-softmax input outside its declared {plan.in_bits}-bit range")
    if not -q.ndim <= axis < q.ndim:
        raise ValueError(f"axis {axis} is out of range for an input of rank {q.ndim}")
    d = q - q.max(axis=axis, keepdims=True)
    total = i_exp(d, plan.exp).sum(axis=axis, keepdims=True)
    log_total = log2_fixed(total)
    out = round_half_up_shift((plan.m_d * d << LOG_FRAC_BITS) - plan.m_l * log_total + plan.c,
                              plan.shift)
    return saturate(out, plan.out_bits, plan.out_signed)
