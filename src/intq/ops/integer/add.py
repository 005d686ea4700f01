"""IntAdd: a residual add (or subtract) of n integer tensors with one rounding.

Each input has its own scale, so each gets an integer multiplier onto a common fine grid and
the sum is shifted once to the output grid: ``clamp(floor((sum m_i x_i + 2^(k-1)) / 2^k))``.
Rescaling each input separately and adding afterwards would round twice. The fast path runs
block by block, in float64 when ``sum |m_i| max|x_i| + 2^(k-1) <= 2^52`` keeps it exact
(see ``exact_float``), else in int64.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer import jit
from intq.ops.integer.base import (IntegerOp, Kernel, clamp_bounds, full_hi, full_lo, max_abs,
                                   needs_range, out_dtype)
from intq.ops.integer.blocks import block_of, blocks, full_rank
from intq.ops.integer.exact_float import ROUNDING_EXACT, round_clamp_into
from intq.ops.integer.ranges import IntRange
from intq.ops.integer.requantize import rescale
from intq.ops.registry import REQUIRED, broadcast_shapes, register
from intq.quant.dyadic import MAX_SHIFT, PRODUCT_LIMIT
from intq.quant.fixedpoint import round_half_up_shift


def _params(attrs: dict[str, Any], count: int) -> tuple[list[int], int]:
    mults, shift = [int(m) for m in attrs["multipliers"]], int(attrs["shift"])
    if len(mults) != count:
        raise ValueError(f"IntAdd has {count} inputs but {len(mults)} multipliers")
    if not 0 <= shift <= MAX_SHIFT:
        raise ValueError(f"IntAdd shift must be in [0, {MAX_SHIFT}], got {shift}")
    return mults, shift


def _check_sum(xs: Sequence[np.ndarray], mults: Sequence[int]) -> int:
    """``sum |m_i| * max |x_i|`` of this data, refused beyond the int64 budget."""
    bound = sum(abs(m) * max_abs(x) for x, m in zip(xs, mults))
    if bound > PRODUCT_LIMIT:
        raise ValueError(f"IntAdd sum of m_i * x_i reaches {bound}, beyond 2^62; the inputs "
                         "exceed their declared precision or the multipliers are too wide")
    return bound


@register
class IntAdd(IntegerOp):
    """``y = clamp(floor((sum_i m_i * x_i + 2^(k-1)) / 2^k), lo, hi)`` with broadcasting.

    Inputs: ``x_1 ... x_n`` (int, broadcast like Add). Attributes:
    - ``multipliers`` (list of int, required): one per input, negative for a subtraction;
    - ``shift`` (int, required): ``k``, 0..62;
    - ``bits`` (int, default 8), ``signed`` (int 0/1, default 1): output precision;
    - ``lo``, ``hi`` (int, default the full range): clamp, narrowed by a fused Relu/Clip.
    """

    op_type = "IntAdd"
    attrs = {"multipliers": REQUIRED, "shift": REQUIRED, "bits": 8, "signed": 1,
             "lo": full_lo, "hi": full_hi}

    def evaluate(self, attrs: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
        lo, hi = clamp_bounds(attrs)
        mults, shift = _params(attrs, len(xs))
        _check_sum(xs, mults)
        total = sum(x.astype(np.int64) * np.int64(m) for x, m in zip(xs, mults))
        y = round_half_up_shift(np.asarray(total), shift)
        return [np.asarray(np.clip(y, lo, hi), dtype=out_dtype(attrs))]

    def evaluate_fast(self, attrs: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
        lo, hi = clamp_bounds(attrs)
        mults, shift = _params(attrs, len(xs))
        half = (1 << shift) >> 1
        exact = _check_sum(xs, mults) + half <= ROUNDING_EXACT
        dtype = np.float64 if exact else np.int64
        shape = np.broadcast_shapes(*(x.shape for x in xs))
        xs = [full_rank(x, len(shape)) for x in xs]
        out = np.empty(shape, dtype=out_dtype(attrs))
        for index in blocks(shape):
            target = out[index]
            total = np.empty(target.shape, dtype=dtype)
            np.multiply(block_of(xs[0], index), dtype(mults[0]), out=total)
            for x, m in zip(xs[1:], mults[1:]):
                total += np.multiply(block_of(x, index), dtype(m), dtype=dtype)
            if exact:
                total *= 2.0**-shift
                round_clamp_into(total, lo, hi, target)
            else:
                total += half
                total >>= shift
                np.clip(total, lo, hi, out=target, casting="unsafe")
        return [out]

    def prepare_fast(self, attrs: dict[str, Any], consts: Sequence[np.ndarray | None]
                     ) -> Kernel | None:
        if len(consts) != 2:
            return None
        clamp_bounds(attrs)
        _params(attrs, 2)
        return PairTable(self, attrs)

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        shape = broadcast_shapes(*(t.shape for t in types if t is not None))
        return [TensorType(shape, out_dtype(attrs).name)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        lo, hi = clamp_bounds(attrs)
        mults, shift = _params(attrs, len(ranges))
        inputs = [needs_range(ranges, i, f"IntAdd input {i}") for i in range(len(ranges))]
        bound = sum(abs(m) * r.magnitude() for m, r in zip(mults, inputs))
        if bound > PRODUCT_LIMIT:
            raise ValueError(f"sum of |m_i| * |x_i| may reach {bound} "
                             f"(2^{bound.bit_length() - 1}+), beyond 2^62; lower the "
                             "multipliers' width")
        low = sum(m * (r.low if m >= 0 else r.high) for m, r in zip(mults, inputs))
        high = sum(m * (r.high if m >= 0 else r.low) for m, r in zip(mults, inputs))
        return [IntRange.of(min(max(rescale(low, 1, shift), lo), hi),
                            min(max(rescale(high, 1, shift), lo), hi))]


class PairTable:
    """IntAdd of two 8-bit tensors as one lookup: the output for every pair of input bytes,
    computed once per pair of dtypes by the reference itself, indexed by
    ``byte(x_1) * 256 + byte(x_2)``. Exact by construction; three narrow passes instead of
    the float64 chain, or one compiled loop (``jit``) for inputs of one shape. Other inputs
    (wider dtypes, or multipliers so wide that the reference would refuse some byte pair)
    run ``evaluate_fast``."""

    def __init__(self, op: IntAdd, attrs: dict[str, Any]) -> None:
        self.op, self.attrs = op, attrs
        self.tables: dict[tuple[np.dtype, np.dtype], np.ndarray | None] = {}

    def __call__(self, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return self.op.evaluate_fast(self.attrs, a, b)
        table = self._table(a.dtype, b.dtype)
        if table is None:
            return self.op.evaluate_fast(self.attrs, a, b)
        if jit.enabled() and a.shape == b.shape:
            out = np.empty(a.shape, dtype=table.dtype)
            jit.pair_lookup(a.view(np.uint8).reshape(-1), b.view(np.uint8).reshape(-1), table,
                            out.reshape(-1))
            return [out]
        index = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=np.uint16)
        np.left_shift(a.view(np.uint8), 8, out=index, dtype=np.uint16)
        np.bitwise_or(index, b.view(np.uint8), out=index)
        return [np.take(table, index)]

    def _table(self, da: np.dtype, db: np.dtype) -> np.ndarray | None:
        key = (da, db)
        if key not in self.tables:
            self.tables[key] = self._build(da, db)
        return self.tables[key]

    def _build(self, da: np.dtype, db: np.dtype) -> np.ndarray | None:
        if not all(d.kind in "iu" and d.itemsize == 1 for d in (da, db)):
            return None
        mults, _ = _params(self.attrs, 2)
        if sum(abs(m) * 128 if d.kind == "i" else abs(m) * 255
               for m, d in zip(mults, (da, db))) > PRODUCT_LIMIT:
            return None
        byte = np.arange(256, dtype=np.uint8)
        a = byte.view(da).reshape(256, 1)
        b = byte.view(db).reshape(1, 256)
        return self.op.evaluate(self.attrs, np.broadcast_to(a, (256, 256)), b)[0].reshape(-1)
