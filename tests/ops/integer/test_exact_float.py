import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ops.integer.exact_float import (FLOAT32_EXACT, FLOAT64_EXACT, exact_float_dtype,
                                          row_abs_sum_max)


@pytest.mark.parametrize("bound, dtype", [(0, np.float32), (FLOAT32_EXACT, np.float32),
                                          (FLOAT32_EXACT + 1, np.float64),
                                          (FLOAT64_EXACT, np.float64), (FLOAT64_EXACT + 1, None)])
def test_tier_boundaries(bound, dtype):
    assert exact_float_dtype(bound) == (None if dtype is None else np.dtype(dtype))


def test_the_tier_limits_are_where_floats_stop_counting_by_one():
    assert np.float32(FLOAT32_EXACT) + np.float32(1) == np.float32(FLOAT32_EXACT)
    assert np.float32(FLOAT32_EXACT - 1) + np.float32(1) == np.float32(FLOAT32_EXACT)
    assert np.float64(FLOAT64_EXACT) + 1.0 == np.float64(FLOAT64_EXACT)


@settings(deadline=None)
@given(hnp.arrays(st.sampled_from([np.int8, np.int32, np.int64]),
                  hnp.array_shapes(min_dims=2, max_dims=3, max_side=5)), st.data())
def test_row_abs_sum_max_is_the_largest_l1_norm(w, data):
    axis = data.draw(st.integers(-w.ndim, w.ndim - 1))
    rows = np.moveaxis(w.astype(object), axis, -1).reshape(-1, w.shape[axis])
    want = max((sum(abs(int(v)) for v in row) for row in rows), default=0)
    assert row_abs_sum_max(w, axis) == (want if w.shape[axis] else 0)
