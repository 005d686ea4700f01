import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs
from intq.quant.fixedpoint import int_range

op = get_op("IntAdd")
SHAPES = [(2, 3, 4), (3, 4), (1, 4), (4,), (2, 1, 1), ()]


@st.composite
def add_cases(draw):
    count = draw(st.integers(1, 4))
    xs = []
    for _ in range(count):
        dtype, lo, hi = draw(st.sampled_from([("int8", -128, 127), ("uint8", 0, 255),
                                              ("int32", -2**31, 2**31 - 1)]))
        xs.append(draw(hnp.arrays(dtype, draw(st.sampled_from(SHAPES)),
                                  elements=st.integers(lo, hi))))
    mults = draw(st.lists(st.integers(-2**30, 2**30), min_size=count, max_size=count))
    bits, signed = draw(st.integers(2, 32)), draw(st.booleans())
    attrs = normalize_attrs("IntAdd", {"multipliers": mults, "shift": draw(st.integers(0, 62)),
                                       "bits": bits, "signed": int(signed)})
    return xs, attrs


def fraction_reference(xs, attrs):
    """``clamp(round(sum m_i x_i / 2^k))``, ties up, one element at a time with rationals."""
    lo, hi = int_range(attrs["bits"], bool(attrs["signed"]))
    shape = np.broadcast_shapes(*(x.shape for x in xs))
    spread = [np.broadcast_to(x, shape).ravel().tolist() for x in xs]
    out = []
    for values in zip(*spread) if shape else [tuple(int(x) for x in xs)]:
        exact = Fraction(sum(m * v for m, v in zip(attrs["multipliers"], values)),
                         2 ** attrs["shift"])
        out.append(min(max(math.floor(exact + Fraction(1, 2)), lo), hi))
    return out


@settings(max_examples=200, deadline=None)
@given(add_cases())
def test_int_add_rounds_the_whole_sum_once(case):
    xs, attrs = case
    ref = op.evaluate(attrs, *xs)[0]
    fast = op.evaluate_fast(attrs, *xs)[0]
    assert np.ravel(ref).tolist() == fraction_reference(xs, attrs)
    assert ref.shape == fast.shape == np.broadcast_shapes(*(x.shape for x in xs))
    assert ref.dtype == fast.dtype and fast.tobytes() == ref.tobytes()


def test_one_rounding_differs_from_rescaling_each_input():
    """0.5 + 0.5 rounds to 1 once; rounded separately (1 + 1) it would give 2."""
    attrs = normalize_attrs("IntAdd", {"multipliers": [1, 1], "shift": 1})
    x = np.array([1], dtype=np.int8)
    for evaluate in (op.evaluate, op.evaluate_fast):
        assert evaluate(attrs, x, x)[0].tolist() == [1]


def test_subtraction_relu_clamp_and_output_dtype():
    attrs = normalize_attrs("IntAdd", {"multipliers": [4, -4], "shift": 2, "lo": 0,
                                       "bits": 8, "signed": 0})
    a = np.array([10, 0, 255], dtype=np.uint8)
    b = np.array([3, 7, 0], dtype=np.uint8)
    for evaluate in (op.evaluate, op.evaluate_fast):
        y = evaluate(attrs, a, b)[0]
        assert y.dtype == np.uint8 and y.tolist() == [7, 0, 255]


def test_mismatched_multipliers_and_overflowing_sums_are_rejected():
    x = np.array([2**31 - 1], dtype=np.int32)
    with pytest.raises(ValueError, match="multipliers"):
        op.evaluate(normalize_attrs("IntAdd", {"multipliers": [1], "shift": 0}), x, x)
    wide = normalize_attrs("IntAdd", {"multipliers": [2**31, 2**31], "shift": 40})
    for evaluate in (op.evaluate, op.evaluate_fast):
        with pytest.raises(ValueError, match="2\\^62"):
            evaluate(wide, x, x)


def test_infer_broadcasts_and_takes_the_declared_dtype():
    attrs = normalize_attrs("IntAdd", {"multipliers": [1, 1], "shift": 0, "bits": 16})
    t = op.infer(attrs, [TensorType(("N", 4, 1), "int8"), TensorType((4, 5), "int8")],
                 [None, None])
    assert t == [TensorType(("N", 4, 5), "int16")]


@pytest.mark.parametrize("shift", [0, 1])
@pytest.mark.parametrize("value", [2**52 + 1, 2**53 - 1, 2**53 + 1, -(2**53) - 1])
def test_fast_path_is_exact_around_2_pow_53(value, shift):
    attrs = normalize_attrs("IntAdd", {"multipliers": [1, 1], "shift": shift, "bits": 63})
    x = np.array([value], dtype=np.int64)
    y = np.array([0], dtype=np.int8)
    assert op.evaluate_fast(attrs, x, y)[0].tolist() == fraction_reference([x, y], attrs)
