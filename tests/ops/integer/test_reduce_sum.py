import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.errors import InputError
from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

op = get_op("IntReduceSum")


@settings(deadline=None)
@given(hnp.arrays(st.sampled_from([np.int8, np.uint8, np.int32]),
                  hnp.array_shapes(min_dims=1, max_dims=4, max_side=4)), st.data())
def test_reduce_sum_is_exact_with_reduce_sum_axes_semantics(x, data):
    axes = data.draw(st.lists(st.integers(-x.ndim, x.ndim - 1), unique_by=lambda a: a % x.ndim,
                              max_size=x.ndim))
    keepdims = data.draw(st.sampled_from([0, 1]))
    attrs = normalize_attrs("IntReduceSum", {"keepdims": keepdims, "acc_bits": 64})
    got = op.evaluate(attrs, x, np.array(axes, dtype=np.int64))[0]
    reduce = tuple(a % x.ndim for a in axes) or None
    want = np.sum(x.astype(object), axis=reduce, keepdims=bool(keepdims))
    assert got.dtype == np.int64 and np.asarray(got).tolist() == np.asarray(want).tolist()


def test_global_sum_keeps_spatial_unit_axes_and_infers_int32():
    x = np.full((2, 3, 4, 4), -128, dtype=np.int8)
    attrs = normalize_attrs("IntReduceSum", {})
    axes = np.array([2, 3], dtype=np.int64)
    y = op.evaluate(attrs, x, axes)[0]
    assert y.dtype == np.int32 and y.shape == (2, 3, 1, 1) and (y == -2048).all()
    assert op.infer(attrs, [TensorType(("N", 3, 4, 4), "int8"), TensorType((2,), "int64")],
                    [None, axes]) == [TensorType(("N", 3, 1, 1), "int32")]


def test_sum_over_a_symbolic_axis_is_bounded_by_max_length_and_checked_when_run():
    import pytest

    from intq.ops.integer.ranges import IntRange

    axes = np.array([1], dtype=np.int64)
    types = [TensorType(("N", "T", 6), "int8"), TensorType((1,), "int64")]
    with pytest.raises(ValueError, match="must be static"):
        op.value_range(normalize_attrs("IntReduceSum", {}), [IntRange.of(-128, 127), None],
                       [None, axes], types)
    attrs = normalize_attrs("IntReduceSum", {"max_length": 50, "acc_bits": 32})
    (acc,) = op.value_range(attrs, [IntRange.of(-128, 127), None], [None, axes], types)
    assert (acc.low, acc.high) == (-128 * 50, 127 * 50)
    x = np.full((2, 50, 6), -128, np.int8)
    assert (op.evaluate(attrs, x, axes)[0] == -6400).all()
    with pytest.raises(InputError, match="51 values, more than the 50"):
        op.evaluate(attrs, np.zeros((2, 51, 6), np.int8), axes)
