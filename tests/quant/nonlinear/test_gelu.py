import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.nonlinear.gelu import ERF_A, ERF_B, i_gelu, plan_i_gelu

_erf = np.vectorize(math.erf)
IBERT_GELU_ERROR = 0.01816
"""Max |GELU - I-BERT's polynomial GELU| over the reals (I-BERT reports 1.8e-2)."""
PHI_RESOLUTION = 2.0**-25
"""Error of the integer Phi (u grid 2^-24, Q31 output); GELU error from it is |x| times this."""
MULTIPLIER_RESOLUTION = 2.0**-29
"""Relative error of the ~30-bit multiplier with Phi folded in."""


def float_gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + _erf(x / math.sqrt(2)))


def float_ibert_gelu(x: np.ndarray) -> np.ndarray:
    u = np.abs(x) / math.sqrt(2)
    erf = np.sign(x) * (ERF_A * (np.minimum(u, -ERF_B) + ERF_B) ** 2 + 1)
    return 0.5 * x * (1 + erf)


@st.composite
def gelu_case(draw):
    in_scale = draw(st.floats(1e-5, 0.3))
    in_bits = draw(st.sampled_from([8, 16, 32]))
    out_scale = in_scale * math.exp(draw(st.floats(-4, 4)))
    out_bits = draw(st.sampled_from([8, 16, 32]))
    return in_scale, in_bits, out_scale, out_bits, draw(st.integers(0, 2**20))


@settings(max_examples=80, deadline=None)
@given(gelu_case())
def test_i_gelu_against_float64(case):
    in_scale, in_bits, out_scale, out_bits, seed = case
    lo, hi = int_range(in_bits, True)
    rng = np.random.default_rng(seed)
    near = min(hi, int(6 / in_scale))
    q = np.concatenate([rng.integers(-near, near + 1, 3000), rng.integers(lo, hi + 1, 300),
                        [lo, hi, 0, 1, -1]])
    y = i_gelu(q, plan_i_gelu(in_scale, in_bits, out_scale, out_bits))
    assert y.dtype == storage_dtype(out_bits, True)
    out_lo, out_hi = int_range(out_bits, True)
    x = q * in_scale
    got = y * out_scale
    ibert = np.clip(float_ibert_gelu(x), out_lo * out_scale, out_hi * out_scale)
    resolution = np.abs(x) * PHI_RESOLUTION + np.abs(ibert) * MULTIPLIER_RESOLUTION
    assert np.all(np.abs(got - ibert) <= out_scale / 2 + resolution)
    exact = np.clip(float_gelu(x), out_lo * out_scale, out_hi * out_scale)
    assert np.all(np.abs(got - exact) <= IBERT_GELU_ERROR + out_scale / 2 + resolution)


@given(st.floats(1e-3, 0.3), st.sampled_from([8, 16]))
def test_large_inputs_pass_through_and_very_negative_ones_vanish(in_scale, in_bits):
    plan = plan_i_gelu(in_scale, in_bits, in_scale, in_bits)
    lo, hi = int_range(in_bits, True)
    big = np.arange(max(0, hi - 50), hi + 1)
    big = big[big * in_scale > 2 * -ERF_B * math.sqrt(2)]
    assert np.array_equal(i_gelu(big, plan), big)
    assert np.array_equal(i_gelu(-big, plan), np.zeros_like(big))
    assert i_gelu(np.array([0]), plan).tolist() == [0]


@given(st.floats(1e-3, 0.3))
def test_i_gelu_is_elementwise_and_deterministic(in_scale):
    plan = plan_i_gelu(in_scale, 8, in_scale, 8)
    q = np.arange(-128, 128).reshape(16, 16)
    whole = i_gelu(q, plan)
    assert np.array_equal(whole[3], i_gelu(q[3], plan))
    assert np.array_equal(whole, i_gelu(q, plan_i_gelu(in_scale, 8, in_scale, 8)))


def test_i_gelu_rejects_bad_arguments():
    plan = plan_i_gelu(0.05, 8, 0.05, 8)
    with pytest.raises(ValueError, match="8-bit"):
        i_gelu(np.array([128]), plan)
    with pytest.raises(ValueError, match="out_scale"):
        plan_i_gelu(0.05, 8, 0.0, 8)
    with pytest.raises(ValueError, match="too large"):
        plan_i_gelu(1.0, 8, 1e-12, 32)
    with pytest.raises(ValueError, match="does not fit int64"):
        plan_i_gelu(1.0, 63, 1.0, 32)
