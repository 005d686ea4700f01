"""IntSqrt: the square root of a wide integer tensor by an exact integer square root.

A table (IntLUT) holds at most 10-bit inputs, and a square root over a 16-bit grid (a power
spectrum's magnitude, whose values crowd near zero where the root is steepest) loses most of
its small values when narrowed to 10 bits. IntSqrt keeps the whole grid:
``t = rs(max(q, 0) · m, k)`` puts ``q · s_in / s_out²`` at ``4^frac``, ``r = floor(sqrt(t))``
(``quant.nonlinear.i_sqrt``, integer Newton steps) is the root at ``2^frac``, and
``y = min(rs(r, frac), hi)`` rounds it onto the output grid. Negative inputs (where the float
root is undefined) give 0, as IntLUT's tables do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import IntegerOp, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.dyadic import PRODUCT_LIMIT, dyadic_from_real, mult_bits_for_bound
from intq.quant.fixedpoint import round_half_up_shift, storage_dtype
from intq.quant.nonlinear.sqrt import i_sqrt

SQRT_FRAC_BITS = 8
"""Fraction bits of the root before its rounding onto the output grid."""


@register
class IntSqrt(IntegerOp):
    """``y = min(rs(floor(sqrt(rs(max(q, 0) · m, k))), frac), 2^bits - 1)``, unsigned.

    Inputs: ``q`` (int). Attributes: ``m``, ``k`` (int, required): the dyadic ``s_in /
    s_out² · 4^frac``; ``frac`` (int, default 8); ``bits`` (int, default 8): the output's
    unsigned precision.
    """

    op_type = "IntSqrt"
    attrs = {"m": REQUIRED, "k": REQUIRED, "frac": SQRT_FRAC_BITS, "bits": 8}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray) -> list[np.ndarray]:
        m, k, frac = int(attrs["m"]), int(attrs["k"]), int(attrs["frac"])
        radicand = np.maximum(np.asarray(q).astype(np.int64), 0)
        if radicand.size and int(radicand.max()) * m > PRODUCT_LIMIT:
            raise ValueError("IntSqrt input times its multiplier exceeds 2^62; the input "
                             "exceeds its declared precision")
        t = round_half_up_shift(radicand * m, k) if k else radicand * m
        root = round_half_up_shift(i_sqrt(t), frac) if frac else i_sqrt(t)
        hi = (1 << int(attrs["bits"])) - 1
        return [np.minimum(root, hi).astype(storage_dtype(int(attrs["bits"]), False))]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, storage_dtype(int(attrs["bits"]), False).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        q = needs_range(ranges, 0, "IntSqrt input q").hull()
        m, k, frac = int(attrs["m"]), int(attrs["k"]), int(attrs["frac"])
        if max(q.high, 0) * m > PRODUCT_LIMIT:
            raise ValueError(f"IntSqrt input up to {q.high} times m = {m} exceeds 2^62")
        t = ((max(q.high, 0) * m) + ((1 << k) >> 1)) >> k
        root = ((math.isqrt(t) + ((1 << frac) >> 1)) >> frac)
        return [IntRange.of(0, min(root, (1 << int(attrs["bits"])) - 1))]


def sqrt_attrs(in_scale: float, in_bound: int, out_scale: float, out_bits: int,
               max_frac: int = SQRT_FRAC_BITS) -> dict[str, Any]:
    """IntSqrt's attributes for an input on ``in_scale`` with ``|q| <= in_bound`` and an
    unsigned output of ``out_bits`` on ``out_scale``: as many fraction bits (up to
    ``max_frac``) as keep the multiplier ``s_in / s_out² · 4^frac`` on 30 bits (a large ratio
    already gives the root its resolution)."""
    ratio = in_scale / out_scale ** 2
    frac = max_frac
    while frac > 0 and ratio * 4.0 ** frac > 2.0 ** 30:
        frac -= 1
    bits = mult_bits_for_bound(max(in_bound, 1))
    if ratio * 4.0 ** frac >= 2.0 ** bits:
        raise ValueError(f"the square root's grid ratio {ratio:.3g} needs a multiplier wider "
                         f"than {bits} bits")
    m, k = dyadic_from_real(ratio * 4.0 ** frac, bits)
    return {"m": int(m), "k": int(k), "frac": frac, "bits": int(out_bits)}
