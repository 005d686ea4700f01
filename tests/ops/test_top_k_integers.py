"""TopK on integers orders by value at the extremes of the dtype (no wrap in the sort key)."""

import numpy as np
import pytest

from intq.ops import get_op
from intq.ops.registry import normalize_attrs


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
def test_largest_first_even_at_the_dtype_minimum(dtype):
    info = np.iinfo(dtype)
    x = np.array([[0, info.min, info.max, info.min, 1]], dtype)
    values, index = get_op("TopK").evaluate(normalize_attrs("TopK", {}), x, np.array([5]))
    assert values.tolist() == [[info.max, 1, 0, info.min, info.min]]
    assert index.tolist() == [[2, 4, 0, 1, 3]]
