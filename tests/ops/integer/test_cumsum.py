"""IntCumSum equals a running sum in Python ints for every axis and option, refuses results
int64 cannot hold, and is bounded by the axis length times the input's bound."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ir.graph import TensorType
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import get_op, normalize_attrs

op = get_op("IntCumSum")


def running_sum(row: list[int], exclusive: bool, reverse: bool) -> list[int]:
    values = row[::-1] if reverse else row
    sums = list(itertools.accumulate(values))
    sums = [0] + sums[:-1] if exclusive else sums
    return sums[::-1] if reverse else sums


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2), st.booleans(), st.booleans(), st.sampled_from([32, 64]),
       st.integers(0, 2**16))
def test_matches_python_int_running_sums(axis, exclusive, reverse, acc_bits, seed):
    x = np.random.default_rng(seed).integers(-128, 128, (2, 3, 5)).astype(np.int8)
    attrs = normalize_attrs("IntCumSum", {"exclusive": int(exclusive), "reverse": int(reverse),
                                          "acc_bits": acc_bits})
    got = op.evaluate(attrs, x, np.array(axis))[0]
    moved = np.moveaxis(x, axis, -1).astype(object)
    want = np.empty_like(moved)
    for index in np.ndindex(moved.shape[:-1]):
        want[index] = running_sum(list(moved[index]), exclusive, reverse)
    assert got.dtype == np.dtype(f"int{acc_bits}")
    assert np.array_equal(got, np.moveaxis(want, -1, axis).astype(np.int64))


def test_refuses_sums_int64_cannot_hold():
    attrs = normalize_attrs("IntCumSum", {"acc_bits": 64})
    with pytest.raises(ValueError, match="beyond int64"):
        op.evaluate(attrs, np.full(4, 2**62, np.int64), np.array(0))


def test_bound_is_length_times_input_bound_and_needs_a_static_length():
    attrs = normalize_attrs("IntCumSum", {})
    r = op.value_range(attrs, [IntRange.of(-5, 9), None], [None, np.array(1)],
                       [TensorType(("N", 7), "int8"), None])
    assert r == [IntRange.of(-35, 63)]
    with pytest.raises(ValueError, match="static length"):
        op.value_range(attrs, [IntRange.of(-5, 9), None], [None, np.array(1)],
                       [TensorType(("N", "T"), "int8"), None])
