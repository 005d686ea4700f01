"""Integer softmax (I-BERT): subtract the row maximum, ``i_exp``, normalize by integer division.

Masked positions (flagged by ``masked`` or holding the input type's minimum value, the usual
"minus infinity" of quantized attention masks) get exactly zero probability: they are left out
of the maximum and of the sum. A fully masked row is all zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intq.quant.fixedpoint import as_int64, int_range, saturate
from intq.quant.nonlinear.exp import ExpPlan, i_exp, plan_i_exp

MAX_OUT_BITS = 24


@dataclass(frozen=True)
class SoftmaxPlan:
    """Constants of ``i_softmax``; outputs are unsigned ``out_bits`` with scale ``2^-out_bits``."""

    exp: ExpPlan
    in_bits: int
    out_bits: int

    @property
    def out_scale(self) -> float:
        return 2.0 ** -self.out_bits


def plan_i_softmax(in_scale: float, in_bits: int, out_bits: int = 8) -> SoftmaxPlan:
    """Compile-time constants for softmax of signed ``in_bits`` inputs with scale ``in_scale``."""
    int_range(in_bits, True)
    if not 1 <= out_bits <= MAX_OUT_BITS:
        raise ValueError(f"out_bits must be in [1, {MAX_OUT_BITS}], got {out_bits}")
    return SoftmaxPlan(plan_i_exp(in_scale), in_bits, out_bits)


def i_softmax(q: np.ndarray, plan: SoftmaxPlan, axis: int = -1,
              masked: np.ndarray | None = None) -> np.ndarray:
    """Probabilities ``round(2^out_bits * e / sum(e))`` along ``axis``, saturated to out_bits.

    ``masked`` (booleans broadcastable to ``q``) marks positions that must get zero weight.
    """
    q = as_int64(q, "q")
    lo, hi = int_range(plan.in_bits, True)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"softmax input outside its declared {plan.in_bits}-bit range")
    if not -q.ndim <= axis < q.ndim:
        raise ValueError(f"axis {axis} is out of range for an input of rank {q.ndim}")
    drop = q == lo
    if masked is not None:
        masked = np.asarray(masked)
        if masked.dtype != np.bool_:
            raise ValueError(f"masked must be a boolean array, got dtype {masked.dtype}")
        drop = drop | np.broadcast_to(masked, q.shape)
    row_max = np.max(np.where(drop, lo, q), axis=axis, keepdims=True)
    e = np.where(drop, 0, i_exp(np.minimum(q - row_max, 0), plan.exp))
    total = e.sum(axis=axis, keepdims=True)
    prob = ((e << (plan.out_bits + 1)) + total) // np.maximum(2 * total, 1)
    return saturate(prob, plan.out_bits, False)
