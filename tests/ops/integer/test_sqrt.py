"""IntSqrt: the exact integer root of a wide grid, against Python's math.isqrt."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ops import get_op
from intq.ops.integer.ranges import IntRange
from intq.ops.integer.sqrt import sqrt_attrs

op = get_op("IntSqrt")


def shift(v: int, k: int) -> int:
    return (v + ((1 << k) >> 1)) >> k


@settings(deadline=None, max_examples=60)
@given(hnp.arrays(np.int16, st.integers(1, 50)), st.floats(1e-6, 1.0), st.floats(1e-4, 10.0),
       st.sampled_from([8, 16]))
def test_int_sqrt_is_the_rounded_exact_root(q, in_scale, out_scale, bits):
    attrs = sqrt_attrs(in_scale, 32767, out_scale, bits)
    got = op.evaluate(attrs, q)[0]
    want = [min(shift(math.isqrt(shift(max(int(v), 0) * attrs["m"], attrs["k"])),
                      attrs["frac"]), (1 << bits) - 1) for v in q]
    assert got.tolist() == want
    (bound,) = op.value_range(attrs, [IntRange.of(-32768, 32767)], [None], [None])
    assert 0 <= got.min() and got.max() <= bound.high


def test_int_sqrt_tracks_the_float_root_across_a_16_bit_grid():
    in_scale, out_scale = 1.0 / 32767, 1.0 / 65535
    attrs = sqrt_attrs(in_scale, 32767, out_scale, 16)
    q = np.arange(0, 32768, 7, dtype=np.int16)
    got = op.evaluate(attrs, q)[0] * out_scale
    assert np.abs(got - np.sqrt(q * in_scale)).max() <= out_scale
