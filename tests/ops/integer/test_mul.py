import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op

op = get_op("IntMul")


@settings(deadline=None)
@given(hnp.arrays(np.int32, st.sampled_from([(3, 4), (4,), ()]),
                  elements=st.integers(-2**31, 2**31 - 1)),
       hnp.arrays(np.int8, st.sampled_from([(3, 1), (4,), ()])))
def test_int_mul_is_the_exact_broadcast_product(a, b):
    y = op.evaluate({"acc_bits": 64}, a, b)[0]
    want = np.multiply(a.astype(object), b.astype(object))
    assert y.dtype == np.int64 and np.asarray(y).tolist() == np.asarray(want).tolist()


def test_int32_product_is_guarded_and_typed():
    a = np.array([100, -128], dtype=np.int8)
    assert op.evaluate({"acc_bits": 32}, a, a)[0].tolist() == [10000, 16384]
    with pytest.raises(ValueError, match="beyond int32"):
        op.evaluate({"acc_bits": 32}, np.array([2**20], np.int32), np.array([2**12], np.int32))
    assert op.infer({"acc_bits": 32}, [TensorType(("N", 3), "int8"), TensorType((1,), "int8")],
                    [None, None]) == [TensorType(("N", 3), "int32")]
