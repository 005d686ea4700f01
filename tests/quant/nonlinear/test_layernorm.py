import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.nonlinear.layernorm import NORM_FRAC_BITS, i_layernorm, plan_i_layernorm

ROUNDING_SLACK_LSB = 0.51
"""Output rounding (0.5) plus root/reciprocal/gain rounding. Measured: 0.502."""


def float_layernorm(q, in_scale, gamma, beta, eps):
    """float64 reference of the real input ``q * in_scale``, centred exactly in integers (a
    float mean would turn constant rows into noise); a zero root normalizes to 0."""
    n = q.shape[-1]
    centered = (n * q - q.sum(axis=-1, keepdims=True)) * (in_scale / n)
    root = np.sqrt((centered**2).mean(axis=-1, keepdims=True) + eps)
    x_hat = np.divide(centered, root, out=np.zeros_like(centered), where=root > 0)
    return gamma * x_hat + beta


def tolerance_lsb(n, gamma, out_scale):
    """Output rounding plus the NORM_FRAC_BITS resolution of x_hat / sqrt(n)."""
    return ROUNDING_SLACK_LSB + math.sqrt(n) * np.abs(gamma).max() / out_scale \
        * 2.0 ** -(NORM_FRAC_BITS - 1)


@st.composite
def layernorm_case(draw):
    n = draw(st.integers(1, 64))
    in_bits = draw(st.sampled_from([8, 16, 32]))
    in_scale = draw(st.floats(1e-4, 0.1))
    out_bits = draw(st.sampled_from([8, 16, 32]))
    out_scale = draw(st.floats(1e-4, 0.1)) if out_bits > 8 else draw(st.floats(0.01, 0.1))
    gamma = draw(hnp.arrays(np.float64, n, elements=st.floats(-2, 2)))
    beta = draw(hnp.arrays(np.float64, n, elements=st.floats(-1, 1)))
    eps = draw(st.sampled_from([0.0, 1e-12, 1e-5, 1e-2]))
    magnitude = draw(st.integers(0, int_range(in_bits, True)[1]))
    rows = draw(st.integers(1, 6))
    q = draw(hnp.arrays(np.int64, (rows, n), elements=st.integers(-magnitude, magnitude)))
    return q, in_bits, in_scale, gamma, beta, eps, out_scale, out_bits


@settings(max_examples=150, deadline=None)
@given(layernorm_case())
def test_i_layernorm_against_float64(case):
    q, in_bits, in_scale, gamma, beta, eps, out_scale, out_bits = case
    n = q.shape[-1]
    plan = plan_i_layernorm(in_scale, in_bits, n, gamma, beta, eps, out_scale, out_bits)
    y = i_layernorm(q, plan)
    assert y.dtype == storage_dtype(out_bits, True) and y.shape == q.shape
    lo, hi = int_range(out_bits, True)
    reference = np.clip(float_layernorm(q, in_scale, gamma, beta, eps) / out_scale, lo, hi)
    assert np.abs(y - reference).max() <= tolerance_lsb(n, gamma, out_scale)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.int64, (4, 12), elements=st.integers(-1000, 1000)),
       st.integers(-1000, 1000), st.integers(0, 3))
def test_i_layernorm_is_exactly_shift_and_power_of_two_scale_invariant(q, offset, power):
    gamma, beta = np.linspace(-1, 2, 12), np.linspace(0.5, -0.5, 12)
    plan = plan_i_layernorm(0.01, 16, 12, gamma, beta, 0.0, 0.02, 8)
    y = i_layernorm(q, plan)
    assert np.array_equal(y, i_layernorm(q + offset, plan))
    assert np.array_equal(y, i_layernorm(q * 2**power, plan))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int32, (3, 5, 8)), st.integers(0, 2))
def test_i_layernorm_rows_are_independent_on_any_axis(q, axis):
    n = q.shape[axis]
    plan = plan_i_layernorm(1e-3, 32, n, None, None, 1e-5, 0.05, 8)
    y = i_layernorm(q, plan, axis=axis)
    batch = (axis + 1) % 3
    for i in range(q.shape[batch]):
        part = np.take(q, [i], axis=batch)
        assert np.array_equal(np.take(y, [i], axis=batch), i_layernorm(part, plan, axis=axis))
    assert np.array_equal(y, i_layernorm(q, plan_i_layernorm(1e-3, 32, n, None, None, 1e-5,
                                                             0.05, 8), axis=axis))


@given(st.integers(1, 3), st.floats(1e-3, 0.05), st.floats(1e-7, 1e-3))
def test_eps_counts_even_when_it_is_below_one_input_step(magnitude, in_scale, eps):
    q = np.array([[magnitude, 0], [0, -magnitude]])
    plan = plan_i_layernorm(in_scale, 8, 2, None, None, eps, 1 / 2**12, 16)
    reference = float_layernorm(q, in_scale, np.ones(2), np.zeros(2), eps) * 2**12
    assert np.abs(i_layernorm(q, plan) - reference).max() <= tolerance_lsb(2, np.ones(2), 2**-12)


def test_constant_rows_give_beta():
    beta = np.array([0.5, -0.25, 0.0])
    for eps in (0.0, 1e-5):
        plan = plan_i_layernorm(0.1, 8, 3, np.ones(3), beta, eps, 0.05, 8)
        assert i_layernorm(np.full((2, 3), 7), plan).tolist() == [[10, -5, 0]] * 2


def test_i_layernorm_rejects_bad_arguments():
    plan = plan_i_layernorm(0.1, 8, 4, None, None, 1e-5, 0.05, 8)
    with pytest.raises(ValueError, match="4 values"):
        i_layernorm(np.zeros((2, 5), np.int8), plan)
    with pytest.raises(ValueError, match="8-bit"):
        i_layernorm(np.full((1, 4), 300), plan)
    with pytest.raises(ValueError, match="gamma"):
        plan_i_layernorm(0.1, 8, 4, np.ones(3), None, 1e-5, 0.05, 8)
    with pytest.raises(ValueError, match="eps"):
        plan_i_layernorm(1e-9, 8, 4096, None, None, 1.0, 0.05, 8)
    with pytest.raises(ValueError, match="int64"):
        plan_i_layernorm(0.1, 60, 16, None, None, 1e-5, 0.05, 8)
