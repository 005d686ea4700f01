import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ops.integer.ranges import IntRange, dot_range, product, scaled, union

ENDS = st.tuples(st.integers(-2**40, 0), st.integers(0, 2**40))
WEIGHTS = hnp.arrays(st.sampled_from([np.int8, np.int32, np.int64]),
                     st.tuples(st.integers(1, 4), st.integers(1, 6)))


@settings(deadline=None)
@given(WEIGHTS, ENDS, st.data())
def test_dot_range_is_sound_and_reached_by_the_sign_pattern(w, ends, data):
    x = IntRange.of(*ends)
    lo, hi = dot_range(w, x)
    wo = w.astype(object)
    vector = data.draw(hnp.arrays(object, w.shape[1], elements=st.integers(*ends)))
    for c, row in enumerate(wo):
        assert lo[c] <= row.dot(vector) <= hi[c]
        assert row.dot(np.where(row > 0, x.high, x.low)) == hi[c]
        assert row.dot(np.where(row > 0, x.low, x.high)) == lo[c]


def test_ranges_always_hold_zero_and_report_magnitudes():
    r = IntRange.of(3, 9)
    assert (r.low, r.high, r.magnitude()) == (0, 9, 9)
    per = IntRange.per_channel([-5, 0], [2, 7], axis=-3)
    assert per.magnitudes() == [5, 7] and per.hull() == IntRange.of(-5, 7)
    assert IntRange.of_bits(8, True) == IntRange.of(-128, 127)
    assert IntRange.of_dtype("uint8") == IntRange.of(0, 255)
    assert IntRange.of_array(np.array([[-4, 2]], np.int8)) == IntRange.of(-4, 2)


def test_interval_arithmetic():
    a, b = IntRange.of(-3, 5), IntRange.of(-7, 2)
    assert product(a, b) == IntRange.of(-35, 21)
    assert scaled(a, 4) == IntRange.of(-12, 20)
    assert union([a, b]) == IntRange.of(-7, 5)


@pytest.mark.parametrize("args", [((), ()), ((1, 2), (3,)), ((1, 2), (3, 4), None),
                                  ((1,), (2,), 1)])
def test_malformed_ranges_are_rejected(args):
    with pytest.raises(ValueError):
        IntRange(*args)
