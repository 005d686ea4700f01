"""Division by a tensor and L2 normalization against Python big-int references."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.quant.divide import PRODUCT_LIMIT, l2_normalize, l2_shift, rounded_div, scaled_div


def _round_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def _ref_div(n: int, d: int) -> int:
    return _round_up(Fraction(n, d)) if d > 0 else 0


@given(st.lists(st.tuples(st.integers(-(1 << 60), 1 << 60), st.integers(-5, 1 << 60)),
                min_size=1, max_size=20))
def test_rounded_div_is_one_rounding_ties_up(pairs):
    n, d = (np.array(v, dtype=np.int64) for v in zip(*pairs))
    assert rounded_div(n, d).tolist() == [_ref_div(a, b) for a, b in pairs]


def test_rounded_div_ties_go_up():
    assert rounded_div(np.array([1, -1, 3, -3]), np.array([2, 2, 2, 2])).tolist() == [1, 0, 2, -1]


@given(hnp.arrays(np.int16, st.integers(1, 12)), st.integers(0, 1 << 16),
       st.integers(1, (1 << 31) - 1), st.integers(0, 30))
def test_scaled_div_matches_the_exact_quotient(a, b, m, k):
    got = scaled_div(a, np.full(a.shape, b, np.int64), m, k)
    assert got.tolist() == [_ref_div(int(x) * m, b << k) for x in a]


def _ref_l2(row: list[int], out_max: int, shift: int) -> list[int]:
    root = math.isqrt(sum(x * x for x in row) << (2 * shift))
    return [_ref_div(x * (out_max << shift), root) for x in row]


@given(hnp.arrays(np.int16, st.tuples(st.integers(1, 4), st.integers(1, 64))),
       st.sampled_from([127, 255, 32767]))
def test_l2_normalize_matches_the_big_int_reference(x, out_max):
    bound = max(1, int(np.abs(x.astype(np.int64)).max()))
    shift = l2_shift(x.shape[1] * bound * bound, bound * out_max)
    got = l2_normalize(x, 1, out_max, shift)
    assert got.tolist() == [_ref_l2([int(v) for v in row], out_max, shift) for row in x]


def test_l2_normalize_is_within_one_step_of_the_real_unit_vector():
    x = np.random.default_rng(0).integers(-127, 128, (16, 384))
    shift = l2_shift(384 * 127 * 127, 127 * 127)
    got = l2_normalize(x, 1, 127, shift)
    want = 127 * x / np.linalg.norm(x, axis=1, keepdims=True)
    assert np.abs(got - want).max() <= 0.5 + 1e-6


def test_an_all_zero_vector_normalizes_to_zero():
    assert l2_normalize(np.zeros((1, 5), np.int64), 1, 127, 10).tolist() == [[0] * 5]


@given(st.integers(1, 1 << 50), st.integers(1, 1 << 50))
def test_l2_shift_keeps_every_intermediate_in_int64(energy, numerator):
    shift = l2_shift(energy, numerator)
    assert energy << (2 * shift) <= PRODUCT_LIMIT and numerator << shift <= PRODUCT_LIMIT >> 2
