"""IntGroupNorm: group (and instance) normalization with the integer layer norm's steps.

The ``N x C x ...`` input is split into ``groups`` rows of ``n = C / groups * prod(spatial)``
values per sample; each row gets ``quant.nonlinear.layernorm.i_normalize`` (integer mean,
variance, ``i_sqrt``, reciprocal), then each *channel* its own folded gamma/beta and one
rounding (``plan_i_layernorm(..., channels=C)``). Instance normalization is ``groups = C``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer import jit
from intq.ops.integer.base import ElementwiseIntegerOp, checked_rows, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.fixedpoint import (as_int64, int_range, round_half_up_shift, saturate,
                                   storage_dtype)
from intq.quant.nonlinear.layernorm import (NORM_FRAC_BITS, RECIPROCAL_BITS, LayerNormPlan,
                                            i_normalize)


def groupnorm_attrs(plan: LayerNormPlan, groups: int) -> dict[str, Any]:
    """The IntGroupNorm attributes that carry ``plan`` (its ``gain``/``bias`` are inputs)."""
    return {"groups": groups, "n": plan.n, "in_bits": plan.in_bits, "row_bits": plan.row_bits,
            "max_left_shift": plan.max_left_shift, "eps": plan.eps,
            "out_shift": plan.out_shift, "bits": plan.out_bits, "signed": int(plan.out_signed)}


def groupnorm_plan(attrs: dict[str, Any], gain: np.ndarray, bias: np.ndarray) -> LayerNormPlan:
    """The plan an IntGroupNorm node describes (``gain``/``bias``: one value per channel)."""
    gain = np.asarray(gain, dtype=np.int64).reshape(-1)
    bias = np.asarray(bias, dtype=np.int64).reshape(-1)
    if gain.shape != bias.shape or gain.size % int(attrs["groups"]):
        raise ValueError(f"IntGroupNorm gain {gain.shape} and bias {bias.shape} must hold one "
                         f"value per channel, a multiple of groups={attrs['groups']}")
    return LayerNormPlan(int(attrs["in_bits"]), int(attrs["n"]), int(attrs["row_bits"]),
                         int(attrs["max_left_shift"]), int(attrs["eps"]), gain, bias,
                         int(attrs["out_shift"]), int(attrs["bits"]), bool(attrs["signed"]))


def _check(q: np.ndarray, plan: LayerNormPlan, groups: int) -> None:
    channels = plan.gain.size
    if q.ndim < 2 or q.shape[1] != channels or math.prod(q.shape[1:]) != groups * plan.n:
        raise ValueError(f"IntGroupNorm planned for {channels} channels in {groups} groups of "
                         f"{plan.n} values, got shape {q.shape}")
    lo, hi = int_range(plan.in_bits, True)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError(f"group norm input outside its declared {plan.in_bits}-bit range")


def i_groupnorm(q: np.ndarray, plan: LayerNormPlan, groups: int) -> np.ndarray:
    """Group norm of signed ``in_bits`` integers ``(N, C, ...)``, in the plan's output
    precision."""
    q = as_int64(q, "q")
    _check(q, plan, groups)
    x_hat = i_normalize(q.reshape(q.shape[0], groups, -1), plan).reshape(*q.shape[:2], -1)
    out = round_half_up_shift(x_hat * plan.gain[:, None] + plan.bias[:, None], plan.out_shift)
    return saturate(out, plan.out_bits, plan.out_signed).reshape(q.shape)


@register
class IntGroupNorm(ElementwiseIntegerOp):
    """Group normalization over ``groups`` channel groups and the spatial axes, integer steps
    of IntLayerNorm, per-channel gamma/beta and one rounding.

    Inputs: ``q`` (signed int of ``in_bits``, ``N x C x ...``), ``gain``, ``bias`` (int64
    constants, one per channel). Attributes (``groupnorm_attrs(plan, groups)``):
    - ``groups`` (int, required): channel groups (C for instance normalization);
    - ``n`` (int, required): values per normalized row, ``C / groups * prod(spatial)``;
    - ``in_bits``, ``row_bits``, ``max_left_shift``, ``eps``, ``out_shift`` (int, required);
    - ``bits`` (int, default 8), ``signed`` (int 0/1, default 1): output precision.
    """

    op_type = "IntGroupNorm"
    attrs = {"groups": REQUIRED, "n": REQUIRED, "in_bits": REQUIRED, "row_bits": REQUIRED,
             "max_left_shift": REQUIRED, "eps": REQUIRED, "out_shift": REQUIRED, "bits": 8,
             "signed": 1}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray, gain: np.ndarray, bias: np.ndarray
                 ) -> list[np.ndarray]:
        return [i_groupnorm(q, groupnorm_plan(attrs, gain, bias), int(attrs["groups"]))]

    def evaluate_fast(self, attrs: dict[str, Any], q: np.ndarray, gain: np.ndarray,
                      bias: np.ndarray) -> list[np.ndarray]:
        """The reference's integers from ``jit.layernorm_rows``, one call per group (its rows
        are the samples, its gain the group's channels repeated over the spatial size);
        without numba, or on input the reference would reject, the reference runs."""
        plan = groupnorm_plan(attrs, gain, bias)
        groups = int(attrs["groups"])
        if not jit.enabled() or not isinstance(q, np.ndarray) or q.ndim < 2 \
                or q.shape[1] != plan.gain.size or q.size != q.shape[0] * groups * plan.n:
            return self.evaluate(attrs, q, gain, bias)
        rows = checked_rows(q.reshape(q.shape[0] * groups, plan.n), -1, plan.n, plan.in_bits)
        if rows is None:
            return self.evaluate(attrs, q, gain, bias)
        rows = rows.reshape(q.shape[0], groups, plan.n)
        spatial = plan.n * groups // plan.gain.size
        lo, hi = int_range(plan.out_bits, plan.out_signed)
        out = np.empty(rows.shape, dtype=storage_dtype(plan.out_bits, plan.out_signed))
        for g, (g_gain, g_bias) in enumerate(zip(np.split(plan.gain, groups),
                                                 np.split(plan.bias, groups))):
            block = np.empty((q.shape[0], plan.n), dtype=out.dtype)
            jit.layernorm_rows(np.ascontiguousarray(rows[:, g]), np.repeat(g_gain, spatial),
                               np.repeat(g_bias, spatial), plan.row_bits, plan.max_left_shift,
                               plan.eps, RECIPROCAL_BITS - NORM_FRAC_BITS, plan.out_shift, lo,
                               hi, block)
            out[:, g] = block
        return [out.reshape(q.shape)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        q = needs_range(ranges, 0, "IntGroupNorm input q").hull()
        bits = int(attrs["in_bits"])
        if not q.fits(-(1 << (bits - 1)), (1 << (bits - 1)) - 1):
            raise ValueError(f"input range [{q.low}, {q.high}] exceeds the declared "
                             f"{bits}-bit signed input")
        return [IntRange.of_bits(attrs["bits"], attrs["signed"])]
