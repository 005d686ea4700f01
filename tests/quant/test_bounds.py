import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.quant.bounds import add_bound, bits_for_bound, matmul_bound
from intq.quant.fixedpoint import int_range


def brute_max_abs(w_row: np.ndarray, x_bound: int) -> int:
    values = range(-x_bound, x_bound + 1)
    return max(abs(sum(int(w) * x for w, x in zip(w_row, xs)))
               for xs in itertools.product(values, repeat=len(w_row)))


@given(hnp.arrays(np.int8, st.tuples(st.integers(1, 3), st.integers(1, 3))), st.integers(0, 3))
def test_matmul_bound_is_sound_and_tight_by_brute_force(w, x_bound):
    bound = matmul_bound(w, x_bound, axis=0)
    assert bound == [brute_max_abs(row, x_bound) for row in w]


@given(hnp.arrays(np.int8, hnp.array_shapes(min_dims=2, max_dims=4, max_side=4)),
       st.integers(0, 2**31), st.data())
def test_matmul_bound_is_attained_by_sign_input(w, x_bound, data):
    axis = data.draw(st.integers(0, w.ndim - 1))
    bound = matmul_bound(w, x_bound, axis)
    moved = np.moveaxis(w.astype(object), axis, 0).reshape(w.shape[axis], -1)
    assert bound == [int(sum(int(v) * int(np.sign(v)) * x_bound for v in row)) for row in moved]
    assert all(isinstance(b, int) for b in bound)


def test_matmul_bound_is_exact_beyond_int64():
    w = np.full((2, 1000), -(2**63), dtype=np.int64)
    assert matmul_bound(w, 2**40, axis=0) == [1000 * 2**63 * 2**40] * 2
    w32 = np.full((1, 3), -(2**31), dtype=np.int32)
    assert matmul_bound(w32, 2**31, axis=0) == [3 * 2**62]


def test_matmul_bound_rejects_bad_arguments():
    with pytest.raises(ValueError, match="integer"):
        matmul_bound(np.ones((2, 2)), 1, 0)
    with pytest.raises(ValueError, match="axis"):
        matmul_bound(np.ones((2, 2), np.int8), 1, 2)
    with pytest.raises(ValueError, match="x_bound"):
        matmul_bound(np.ones((2, 2), np.int8), -1, 0)


@given(st.integers(0, 5), st.integers(0, 5))
def test_add_bound_is_sound_and_tight_by_brute_force(a, b):
    pairs = itertools.product(range(-a, a + 1), range(-b, b + 1))
    assert add_bound(a, b) == max(abs(x + y) for x, y in pairs)


def test_add_bound_broadcasts_per_channel_lists():
    assert add_bound([1, 2, 3], 10) == [11, 12, 13]
    assert add_bound(5, [1]) == [6]
    assert add_bound([1, 2], [3, 4]) == [4, 6]
    assert add_bound(2**70, 2**70) == 2**71
    with pytest.raises(ValueError, match="channels"):
        add_bound([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        add_bound(-1, 2)


@given(st.integers(0, 2**70), st.booleans())
def test_bits_for_bound_is_smallest_width_holding_the_range(bound, signed):
    bits = bits_for_bound(bound, signed)

    def holds(b: int) -> bool:
        lo, hi = -(1 << (b - 1)), (1 << (b - 1)) - 1
        return (lo <= -bound and bound <= hi) if signed else bound <= (1 << b) - 1

    assert holds(bits) and (bits == 1 or not holds(bits - 1))
    if bits <= 63:
        lo, hi = int_range(bits, signed)
        assert hi >= bound and (not signed or lo <= -bound)


def test_bits_for_bound_known_values():
    assert [bits_for_bound(b, True) for b in (0, 1, 127, 128, 2**31 - 1)] == [1, 2, 8, 9, 32]
    assert [bits_for_bound(b, False) for b in (0, 1, 255, 256)] == [1, 1, 8, 9]
