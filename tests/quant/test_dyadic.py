import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.quant.dyadic import (
    MAX_SHIFT,
    PRODUCT_LIMIT,
    dyadic_from_real,
    dyadic_per_channel,
    mult_bits_for_bound,
    requantize,
    requantize_fits_int64,
)
from intq.quant.fixedpoint import int_range, storage_dtype

REALS = st.floats(2.0**-30, 2.0**30, allow_nan=False, allow_infinity=False)
MULTIPLIERS = st.integers(1, 2**31 - 1)
SHIFTS = st.integers(0, MAX_SHIFT)
WIDTHS = st.tuples(st.integers(1, 32), st.booleans())


def ref_requantize(acc: int, m: int, k: int, bits: int, signed: bool) -> int:
    lo, hi = int_range(bits, signed)
    return min(max((acc * m + (1 << k >> 1)) >> k, lo), hi)


@given(REALS)
def test_dyadic_keeps_full_multiplier_and_relative_error_below_2_pow_minus_31(real):
    m, k = dyadic_from_real(real)
    assert 2**30 <= m < 2**31 and 0 <= k <= MAX_SHIFT
    assert abs(Fraction(m, 2**k) - Fraction(real)) <= Fraction(real) / 2**31


@given(REALS, st.integers(1, 62))
def test_dyadic_is_nearest_for_its_shift(real, mult_bits):
    try:
        m, k = dyadic_from_real(real, mult_bits)
    except ValueError:
        assume(False)
    assert m < 2**mult_bits
    assert abs(Fraction(m, 2**k) - Fraction(real)) <= Fraction(1, 2 ** (k + 1))
    assert m >= 2 ** (mult_bits - 1) or k == MAX_SHIFT


@given(st.floats(2.0**-70, 2.0**-33), st.integers(34, 62))
def test_dyadic_caps_shift_at_max_shift(real, max_shift):
    try:
        m, k = dyadic_from_real(real, max_shift=max_shift)
    except ValueError:
        assert round(real * 2**max_shift) == 0
        return
    assert k == max_shift and m == math.floor(Fraction(real) * 2**k + Fraction(1, 2))


def test_dyadic_rounding_carry_moves_to_next_power_of_two():
    assert dyadic_from_real(1 - 2.0**-40) == (2**30, 30)
    assert dyadic_from_real(1.0) == (2**30, 30)
    assert dyadic_from_real(0.75) == (3 * 2**29, 31)


@pytest.mark.parametrize("real", [0.0, -1.0, math.nan, math.inf, 2.0**31, 2.0**-64])
def test_dyadic_rejects_unrepresentable_reals(real):
    with pytest.raises(ValueError):
        dyadic_from_real(real)


@given(st.lists(REALS, min_size=1, max_size=8))
def test_dyadic_per_channel_matches_scalar(reals):
    m, k = dyadic_per_channel(np.array(reals))
    assert m.dtype == k.dtype == np.int64
    assert list(zip(m.tolist(), k.tolist())) == [dyadic_from_real(r) for r in reals]


def test_fits_int64_is_exact_at_the_limit():
    assert requantize_fits_int64(2**31, 2**31)
    assert not requantize_fits_int64(2**31 + 1, 2**31)
    assert requantize_fits_int64(PRODUCT_LIMIT, 1)
    assert not requantize_fits_int64(PRODUCT_LIMIT + 1, 1)


@given(st.integers(0, 2**62))
def test_mult_bits_for_bound_is_widest_that_fits(bound):
    bits = mult_bits_for_bound(bound)
    assert requantize_fits_int64(bound, 2**bits - 1)
    assert bits == 31 or not requantize_fits_int64(bound, 2 ** (bits + 1) - 1)


def test_mult_bits_for_bound_rejects_bounds_beyond_the_limit():
    with pytest.raises(ValueError, match="no room"):
        mult_bits_for_bound(PRODUCT_LIMIT + 1)


@st.composite
def requant_case(draw):
    m, k = draw(MULTIPLIERS), draw(SHIFTS)
    limit = PRODUCT_LIMIT // m
    acc = draw(hnp.arrays(np.int64, draw(hnp.array_shapes(max_dims=3, max_side=5)),
                          elements=st.integers(-limit, limit)))
    return acc, m, k


@given(requant_case(), WIDTHS)
def test_requantize_matches_big_int_reference(case, width):
    acc, m, k = case
    bits, signed = width
    out = requantize(acc, m, k, bits=bits, signed=signed)
    assert out.dtype == storage_dtype(bits, signed) and out.shape == acc.shape
    expected = [ref_requantize(a, m, k, bits, signed) for a in acc.ravel().tolist()]
    assert out.ravel().tolist() == expected


@given(st.data(), st.integers(1, 5), st.integers(0, 2), WIDTHS)
def test_requantize_per_channel_matches_reference(data, channels, axis, width):
    bits, signed = width
    m = data.draw(hnp.arrays(np.int64, channels, elements=MULTIPLIERS))
    k = data.draw(hnp.arrays(np.int64, channels, elements=SHIFTS))
    shape = [2, 3, 2]
    shape[axis] = channels
    limit = PRODUCT_LIMIT // int(m.max())
    acc = data.draw(hnp.arrays(np.int64, shape, elements=st.integers(-limit, limit)))
    out = requantize(acc, m, k, bits=bits, signed=signed, axis=axis)
    for index in np.ndindex(*shape):
        c = index[axis]
        assert out[index] == ref_requantize(int(acc[index]), int(m[c]), int(k[c]), bits, signed)


@given(st.integers(-(2**30), 2**30), st.integers(1, 30))
def test_requantize_ties_round_up_also_for_negative_accumulators(j, k):
    tie = (2 * j + 1) << (k - 1)
    assert requantize(np.array([tie]), 1, k, bits=32, signed=True)[0] == j + 1


def test_requantize_extremes():
    acc = np.array([-(2**31), 2**31 - 1, 0], dtype=np.int64)
    out = requantize(acc, 2**31 - 1, 31, bits=32, signed=True)
    assert out.tolist() == [ref_requantize(int(a), 2**31 - 1, 31, 32, True) for a in acc]
    assert requantize(acc, 1, 0, bits=8, signed=False).tolist() == [0, 255, 0]
    assert requantize(np.array([7]), 3, 0, bits=8, signed=True).tolist() == [21]


@given(st.integers(-(2**31), 2**31 - 1), REALS)
def test_requantize_approximates_real_rescaling(acc, real):
    m, k = dyadic_from_real(real)
    exact = acc * Fraction(real)
    assume(abs(exact) < 2**30)
    out = int(requantize(np.array([acc]), m, k, bits=32, signed=True)[0])
    assert abs(out - exact) <= Fraction(1, 2) + abs(exact) / 2**31


def test_requantize_refuses_data_that_would_overflow():
    with pytest.raises(ValueError, match="exceeds 2\\^62"):
        requantize(np.array([2**40]), 2**31 - 1, 31, bits=8, signed=True)
    with pytest.raises(ValueError, match="exceeds 2\\^62"):
        requantize(np.array([-(2**63)]), 1, 0, bits=8, signed=True)


def test_requantize_overflow_check_is_per_channel():
    acc = np.array([[2**40, 1], [-(2**40), -1]], dtype=np.int64)
    m = np.array([1, 2**31 - 1], dtype=np.int64)
    out = requantize(acc, m, np.array([40, 0]), bits=32, signed=True, axis=1)
    assert out.tolist() == [[1, 2**31 - 1], [-1, -(2**31 - 1)]]
    with pytest.raises(ValueError, match="exceeds"):
        requantize(acc, m[::-1].copy(), 0, bits=32, signed=True, axis=1)


@pytest.mark.parametrize("kwargs, match", [
    (dict(m=0, k=0), "multiplier"),
    (dict(m=1, k=63), "shift"),
    (dict(m=np.array([1, 2]), k=0), "axis"),
    (dict(m=np.array([1, 2, 3]), k=0, axis=0), "entries"),
])
def test_requantize_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        requantize(np.zeros((2, 2), dtype=np.int32), bits=8, signed=True, **kwargs)


def test_requantize_rejects_float_accumulators():
    with pytest.raises(ValueError, match="acc"):
        requantize(np.zeros(3), 1, 0, bits=8, signed=True)
