"""The histogram primitives are exact: checked against rational arithmetic."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.calibration.histogram import (BIN_BITS, BINS, EMPTY_EXPONENT, bin_counts, coarsen,
                                        covering_exponent, from_bins, to_bins)

finite64 = st.floats(allow_nan=False, allow_infinity=False)
value_arrays = st.one_of(
    hnp.arrays(np.float32, st.integers(1, 200), elements=st.floats(width=32, allow_nan=False,
                                                                   allow_infinity=False)),
    hnp.arrays(np.float64, st.integers(1, 200), elements=finite64))


def reference_counts(values: np.ndarray, exponent: int) -> np.ndarray:
    counts = np.zeros(BINS, np.int64)
    for v in values.tolist():
        counts[math.floor(Fraction(abs(v)) * Fraction(2) ** (BIN_BITS - exponent))] += 1
    return counts


@given(finite64.filter(lambda x: x != 0))
def test_covering_exponent_is_the_smallest_power_of_two_above(x):
    e = covering_exponent(abs(x))
    assert Fraction(abs(x)) < Fraction(2) ** e
    assert Fraction(abs(x)) >= Fraction(2) ** (e - 1)


def test_zero_has_the_empty_exponent():
    assert covering_exponent(0.0) == EMPTY_EXPONENT


@given(value_arrays, st.integers(0, 40))
def test_bin_counts_are_exact_floors(values, extra):
    exponent = covering_exponent(float(np.abs(values).max())) + extra
    assert np.array_equal(bin_counts(values, exponent), reference_counts(values, exponent))


def test_bin_counts_of_subnormals_and_huge_exponents():
    tiny = np.array([1e-45, 3e-44, -2e-40, 0.0], np.float32)
    for exponent in (covering_exponent(2e-40), 0, 100, 1000):
        assert np.array_equal(bin_counts(tiny, exponent), reference_counts(tiny, exponent))
    huge = np.array([1e300, -5e-324, 3e307], np.float64)
    exponent = covering_exponent(3e307)
    assert np.array_equal(bin_counts(huge, exponent), reference_counts(huge, exponent))


def test_bin_counts_across_chunks():
    values = np.random.default_rng(0).laplace(size=200_001).astype(np.float32)
    exponent = covering_exponent(float(np.abs(values).max()))
    expected = np.bincount(np.floor(np.abs(values.astype(np.float64))
                                    * 2.0 ** (BIN_BITS - exponent)).astype(int), minlength=BINS)
    assert np.array_equal(bin_counts(values, exponent), expected)


@given(value_arrays, st.integers(0, 15))
def test_coarsening_equals_binning_at_the_wider_range(values, shift):
    exponent = covering_exponent(float(np.abs(values).max()))
    assert np.array_equal(coarsen(bin_counts(values, exponent), shift),
                          bin_counts(values, exponent + shift))


@given(st.floats(1e-300, 1e300), st.integers(0, 60))
def test_bin_units_round_trip_exactly(value, extra):
    exponent = covering_exponent(value) + extra
    assert from_bins(to_bins(value, exponent), exponent) == value
