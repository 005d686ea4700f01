import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.quant.nonlinear.exp import ZERO_SHIFT, i_exp, plan_i_exp

IN_SCALES = st.floats(1e-6, 3.0)
EXP_REL_TOL = 3.2e-3
"""Measured 3.12e-3 over scales 1e-6..3 (I-BERT's polynomial alone: 3.10e-3 on (-ln2, 0])."""


@settings(max_examples=40, deadline=None)
@given(IN_SCALES, st.integers(0, 2**20))
def test_i_exp_relative_error_against_float64(in_scale, seed):
    plan = plan_i_exp(in_scale)
    rng = np.random.default_rng(seed)
    q = -np.concatenate([np.arange(min(plan.in_clamp + 3, 5000)),
                         rng.integers(0, plan.in_clamp + 3, 5000)])
    y = i_exp(q, plan)
    assert y.dtype == np.int64 and y.min() >= 0 and y.max() <= plan.out_bound
    exact = np.exp(q * in_scale)
    error = np.abs(y * plan.out_scale - exact)
    assert np.all(error <= EXP_REL_TOL * exact + plan.out_scale / 2)


@given(IN_SCALES)
def test_i_exp_of_zero_is_one_and_far_inputs_are_exactly_zero(in_scale):
    plan = plan_i_exp(in_scale)
    assert abs(int(i_exp(np.array([0]), plan)[0]) * plan.out_scale - 1) <= EXP_REL_TOL
    far = -np.array([plan.in_clamp, plan.in_clamp + 1, 2**40, 2**62], dtype=np.int64)
    assert i_exp(far, plan).tolist() == [0, 0, 0, 0]
    below_zero_shift = -math.ceil((ZERO_SHIFT + 1) * math.log(2) / in_scale)
    assert i_exp(np.array([below_zero_shift]), plan).tolist() == [0]


@given(IN_SCALES)
def test_i_exp_is_deterministic_and_batch_independent(in_scale):
    plan = plan_i_exp(in_scale)
    n = min(plan.in_clamp, 3000)
    q = -np.arange(3 * n).reshape(3, n)
    whole = i_exp(q, plan)
    assert np.array_equal(whole, i_exp(q, plan_i_exp(in_scale)))
    assert all(np.array_equal(whole[i], i_exp(q[i], plan)) for i in range(3))


def test_i_exp_keeps_the_output_below_2_pow_31():
    assert plan_i_exp(0.1).out_bound < 2**31


def test_i_exp_rejects_positive_inputs_and_bad_scales():
    with pytest.raises(ValueError, match="non-positive"):
        i_exp(np.array([0, 1]), plan_i_exp(0.1))
    with pytest.raises(ValueError, match="in_scale"):
        plan_i_exp(0.0)
