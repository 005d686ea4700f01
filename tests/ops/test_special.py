import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from intq.ops.special import erf


@given(st.floats(-8, 8, allow_nan=False))
def test_erf_matches_math_erf(x):
    want = math.erf(x)
    got = float(erf(np.float64(x)))
    assert abs(got - want) <= 1.5e-7 * max(abs(want), 1e-3)


def test_erf_keeps_float_dtype_and_shape():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    out = erf(x)
    assert out.dtype == np.float32 and out.shape == (3, 4)
    np.testing.assert_array_equal(erf(-x), -out)
