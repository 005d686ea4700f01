import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.quant.nonlinear.sqrt import i_sqrt

NON_NEGATIVE_INT64 = st.integers(0, 2**63 - 1)


@given(hnp.arrays(np.int64, hnp.array_shapes(max_dims=2, max_side=8), elements=NON_NEGATIVE_INT64))
def test_i_sqrt_is_exact_floor_sqrt(n):
    root = i_sqrt(n)
    assert root.dtype == np.int64 and root.shape == n.shape
    assert root.ravel().tolist() == [math.isqrt(v) for v in n.ravel().tolist()]


@given(st.integers(0, 2**31 + 2**30))
def test_i_sqrt_at_perfect_squares_and_their_neighbours(r):
    squares = [v for v in (r * r - 1, r * r, r * r + 1, (r + 1) ** 2 - 1) if 0 <= v < 2**63]
    assert i_sqrt(np.array(squares, dtype=np.int64)).tolist() == [math.isqrt(v) for v in squares]


def test_i_sqrt_on_every_power_of_two_and_the_extremes():
    values = [0, 1, 2, 3] + [v for p in range(2, 63) for v in (2**p - 1, 2**p, 2**p + 1)]
    values += [2**63 - 1, math.isqrt(2**63 - 1) ** 2]
    assert i_sqrt(np.array(values, dtype=np.int64)).tolist() == [math.isqrt(v) for v in values]


def test_i_sqrt_rejects_negative_and_float_inputs():
    with pytest.raises(ValueError, match="non-negative"):
        i_sqrt(np.array([4, -1]))
    with pytest.raises(ValueError, match="integer"):
        i_sqrt(np.array([4.0]))
