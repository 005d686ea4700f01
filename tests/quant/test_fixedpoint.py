import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from intq.quant.fixedpoint import (
    as_int64,
    bit_length,
    int_range,
    round_half_up_shift,
    saturate,
    storage_dtype,
)

INT64 = st.integers(-(2**63), 2**63 - 1)
SHIFT = st.integers(0, 63)


def ref_shift(x: int, k: int) -> int:
    return (x + (1 << k >> 1)) >> k


def test_int_range_is_twos_complement_or_unsigned():
    assert int_range(8, True) == (-128, 127)
    assert int_range(8, False) == (0, 255)
    assert int_range(1, True) == (-1, 0)
    assert int_range(63, False) == (0, 2**63 - 1)


@pytest.mark.parametrize("bits", [0, 64, -3, 8.0, "8"])
def test_int_range_rejects_bad_bits(bits):
    with pytest.raises(ValueError, match="bits"):
        int_range(bits, True)


@given(st.integers(1, 63), st.booleans())
def test_storage_dtype_is_narrowest_holding_range(bits, signed):
    lo, hi = int_range(bits, signed)
    dtype = storage_dtype(bits, signed)
    assert np.iinfo(dtype).min <= lo and hi <= np.iinfo(dtype).max
    if dtype.itemsize > 1:
        narrower = np.dtype(f"{dtype.kind}{dtype.itemsize // 2}")
        assert np.iinfo(narrower).min > lo or hi > np.iinfo(narrower).max


@given(INT64, SHIFT)
def test_round_half_up_shift_matches_big_int_formula(x, k):
    assert int(round_half_up_shift(x, k)) == ref_shift(x, k)


@given(st.integers(-(2**40), 2**40), st.integers(1, 20))
def test_ties_round_towards_plus_infinity(j, k):
    tie = (2 * j + 1) << (k - 1)
    assert int(round_half_up_shift(tie, k)) == j + 1


@given(st.lists(INT64, min_size=1, max_size=20), st.lists(SHIFT, min_size=1, max_size=20))
def test_round_half_up_shift_broadcasts_shifts(xs, ks):
    n = min(len(xs), len(ks))
    out = round_half_up_shift(np.array(xs[:n], dtype=np.int64), np.array(ks[:n]))
    assert out.dtype == np.int64
    assert out.tolist() == [ref_shift(x, k) for x, k in zip(xs[:n], ks[:n])]


def test_round_half_up_shift_k0_is_identity_and_extremes_do_not_overflow():
    edge = np.array([-(2**63), -1, 0, 1, 2**63 - 1], dtype=np.int64)
    assert round_half_up_shift(edge, 0).tolist() == edge.tolist()
    assert round_half_up_shift(edge, 63).tolist() == [ref_shift(int(x), 63) for x in edge]
    assert round_half_up_shift(edge, 1).tolist() == [ref_shift(int(x), 1) for x in edge]


@pytest.mark.parametrize("k", [-1, 64])
def test_round_half_up_shift_rejects_bad_shift(k):
    with pytest.raises(ValueError, match="shift"):
        round_half_up_shift(5, k)


@given(st.lists(INT64, min_size=1, max_size=30), st.integers(1, 63), st.booleans())
def test_saturate_clamps_into_storage_dtype(xs, bits, signed):
    lo, hi = int_range(bits, signed)
    out = saturate(np.array(xs, dtype=np.int64), bits, signed)
    assert out.dtype == storage_dtype(bits, signed)
    assert out.tolist() == [min(max(x, lo), hi) for x in xs]


@pytest.mark.parametrize("bad", [np.array([1.0]), np.array([True]), np.array([1], np.uint64)])
def test_integer_helpers_refuse_non_int64_safe_dtypes(bad):
    with pytest.raises(ValueError, match="integer"):
        as_int64(bad)


@given(st.lists(st.integers(0, 2**63 - 1), min_size=1, max_size=30))
def test_bit_length_matches_python(xs):
    assert bit_length(np.array(xs, dtype=np.int64)).tolist() == [x.bit_length() for x in xs]


def test_bit_length_on_every_power_of_two_boundary():
    xs = [0] + [v for p in range(63) for v in (2**p - 1, 2**p, 2**p + 1)] + [2**63 - 1]
    assert bit_length(np.array(xs, dtype=np.int64)).tolist() == [x.bit_length() for x in xs]
    with pytest.raises(ValueError, match="non-negative"):
        bit_length(np.array([-1]))
