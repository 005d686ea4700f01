"""IntGroupNorm: each (sample, group) row is exactly IntLayerNorm's kernel with the group's
per-channel gains spread over the spatial positions; the compiled path gives the same bytes;
the result stays within a few output steps of float group normalization."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops import get_op
from intq.ops.integer.groupnorm import groupnorm_attrs
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import normalize_attrs
from intq.quant.nonlinear.layernorm import LayerNormPlan, i_layernorm, plan_i_layernorm

op = get_op("IntGroupNorm")


def planned(channels: int, groups: int, spatial: tuple, seed: int, eps: float = 1e-5
            ) -> tuple[LayerNormPlan, dict]:
    rng = np.random.default_rng(seed)
    n = channels // groups * math.prod(spatial)
    plan = plan_i_layernorm(0.05, 8, n, rng.normal(1, 0.3, channels),
                            rng.normal(0, 0.3, channels), eps, 0.03, 8, True,
                            channels=channels)
    return plan, normalize_attrs("IntGroupNorm", groupnorm_attrs(plan, groups))


@st.composite
def cases(draw: st.DrawFn) -> tuple:
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)))
    return channels, groups, spatial, draw(st.integers(0, 2**16))


@settings(max_examples=60, deadline=None)
@given(cases())
def test_rows_are_the_layer_norm_kernel_with_spread_gains(case):
    channels, groups, spatial, seed = case
    plan, attrs = planned(channels, groups, spatial, seed)
    q = np.random.default_rng(seed).integers(-128, 128, (2, channels, *spatial)).astype(np.int8)
    got = op.evaluate(attrs, q, plan.gain, plan.bias)[0]
    per_row = math.prod(spatial)
    for g in range(groups):
        part = slice(g * channels // groups, (g + 1) * channels // groups)
        row_plan = LayerNormPlan(plan.in_bits, plan.n, plan.row_bits, plan.max_left_shift,
                                 plan.eps, np.repeat(plan.gain[part], per_row),
                                 np.repeat(plan.bias[part], per_row), plan.out_shift,
                                 plan.out_bits, plan.out_signed)
        want = i_layernorm(q[:, part].reshape(2, -1), row_plan)
        assert np.array_equal(got[:, part].reshape(2, -1), want)
    assert np.array_equal(op.evaluate_fast(attrs, q, plan.gain, plan.bias)[0], got)


@settings(max_examples=30, deadline=None)
@given(cases())
def test_close_to_float_group_normalization(case):
    channels, groups, spatial, seed = case
    plan, attrs = planned(channels, groups, spatial, seed)
    rng = np.random.default_rng(seed)
    q = rng.integers(-128, 128, (2, channels, *spatial)).astype(np.int8)
    gamma = plan.gain * 0.03 / (math.sqrt(plan.n) * 2.0 ** (plan.out_shift - 24))
    beta = plan.bias * 0.03 / 2.0**plan.out_shift
    want = get_op("GroupNormalization").evaluate(
        normalize_attrs("GroupNormalization", {"num_groups": groups}),
        (q * 0.05).astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32))[0]
    got = op.evaluate(attrs, q, plan.gain, plan.bias)[0] * 0.03
    assert np.abs(got - np.clip(want, -128 * 0.03, 127 * 0.03)).max() <= 1.01 * 0.03


def test_a_shape_it_was_not_planned_for_is_refused():
    plan, attrs = planned(4, 2, (3, 3), 0)
    with pytest.raises(ValueError, match="planned for 4 channels"):
        op.evaluate(attrs, np.zeros((1, 4, 3, 2), np.int8), plan.gain, plan.bias)


def test_range_rule_refuses_inputs_wider_than_declared():
    _, attrs = planned(4, 2, (3,), 0)
    assert op.value_range(attrs, [IntRange.of(-128, 127)], [None] * 3, [None] * 3) == \
        [IntRange.of(-128, 127)]
    with pytest.raises(ValueError, match="exceeds the declared"):
        op.value_range(attrs, [IntRange.of(-300, 127)], [None] * 3, [None] * 3)
