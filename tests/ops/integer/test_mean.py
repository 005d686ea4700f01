"""IntMean: the exact mean ``round_half_up(2^f * sum / count)`` over axes, for any count."""

from fractions import Fraction
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.errors import InputError
from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import normalize_attrs

op = get_op("IntMean")


@settings(deadline=None)
@given(hnp.arrays(st.sampled_from([np.int8, np.int16, np.int32]),
                  hnp.array_shapes(min_dims=1, max_dims=4, max_side=5)), st.data())
def test_mean_is_the_rounded_exact_mean(x, data):
    axes = data.draw(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim))
    keepdims, frac = data.draw(st.sampled_from([0, 1])), data.draw(st.integers(0, 12))
    attrs = normalize_attrs("IntMean", {"keepdims": keepdims, "frac_bits": frac,
                                        "max_length": 1000, "acc_bits": 64})
    got = op.evaluate(attrs, x, np.array(axes, np.int64))[0]
    reduce = tuple(axes) or tuple(range(x.ndim))
    count = math.prod(x.shape[a] for a in reduce)
    sums = np.sum(x.astype(object), axis=reduce, keepdims=bool(keepdims))
    want = np.vectorize(lambda s: math.floor(Fraction(s * 2**frac, count) + Fraction(1, 2)),
                        otypes=[object])(sums)
    assert np.asarray(got).tolist() == np.asarray(want).tolist()


def test_range_is_the_inputs_range_scaled_and_the_length_is_checked():
    attrs = normalize_attrs("IntMean", {"frac_bits": 8, "max_length": 4096})
    types = [TensorType(("N", 3, "H", "W"), "int8"), TensorType((2,), "int64")]
    axes = np.array([2, 3], np.int64)
    (y,) = op.value_range(attrs, [IntRange.of(-128, 127), None], [None, axes], types)
    assert (y.low, y.high) == (-128 * 256, 127 * 256)
    assert op.infer(attrs, types, [None, axes]) == [TensorType(("N", 3, 1, 1), "int32")]
    x = np.full((1, 3, 64, 64), 127, np.int8)
    assert (op.evaluate(attrs, x, axes)[0] == 127 * 256).all()
    with pytest.raises(InputError, match="4225 values, more than the 4096"):
        op.evaluate(attrs, np.zeros((1, 3, 65, 65), np.int8), axes)
    with pytest.raises(ValueError, match="may pass 2"):
        op.value_range(normalize_attrs("IntMean", {"frac_bits": 24, "max_length": 1 << 40}),
                       [IntRange.of(-(1 << 15), 1 << 15), None], [None, axes], types)
