"""Integer log-softmax: the log2 table is within its interval bound of log2 for every int64
magnitude, and log-probabilities are within half an output step plus the exponential's and
the table's error of float64 log-softmax."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.quant.nonlinear.logsoftmax import (LOG_FRAC_BITS, LOG_INDEX_BITS, i_log_softmax,
                                             log2_fixed, plan_i_log_softmax)

TABLE_ERROR = 2.0 ** -(LOG_INDEX_BITS + 1) / math.log(2) + 2.0 ** -(LOG_FRAC_BITS + 1)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**62 - 1))
def test_log2_is_within_the_table_interval(t):
    got = int(log2_fixed(np.array([t]))[0]) / 2**LOG_FRAC_BITS
    assert abs(got - math.log2(t)) <= TABLE_ERROR


def test_exact_powers_of_two_have_their_exponent_up_to_the_first_interval():
    t = np.array([1 << i for i in range(62)])
    got = log2_fixed(t) / 2**LOG_FRAC_BITS
    assert np.all(np.abs(got - np.arange(62)) <= TABLE_ERROR)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([0.01, 0.05, 0.2]), st.sampled_from([0.002, 0.02, 0.1]),
       st.integers(1, 40), st.sampled_from([8, 12]), st.integers(0, 2**16))
def test_close_to_float64_log_softmax(in_scale, out_scale, n, in_bits, seed):
    lo = -(1 << (in_bits - 1))
    q = np.random.default_rng(seed).integers(lo, -lo, (6, n))
    x = q * in_scale
    shifted = x - x.max(axis=1, keepdims=True)
    want = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    plan = plan_i_log_softmax(in_scale, in_bits, out_scale, 16)
    got = i_log_softmax(q, plan, -1) * out_scale
    assert np.all(i_log_softmax(q, plan, -1) <= 0)
    assert np.abs(got - np.maximum(want, -32768 * out_scale)).max() <= out_scale / 2 + 0.003
