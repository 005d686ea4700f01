"""IntResize against an exact rational reference built from ONNX's coordinate formulas, its
range rule (outputs inside the input's range), and its fidelity to the float Resize."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops.integer.ranges import IntRange
from intq.ops.registry import get_op, normalize_attrs

MODES = ["half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners"]
SCALES = [0.5, 0.75, 1.5, 2.0, 3.0, 4.0, 1.25]


def source_coordinate(mode: str, x: int, n_in: int, n_out: int, scale: float) -> Fraction:
    """ONNX's input coordinate of output index ``x``, in exact rationals."""
    s = Fraction(float(np.float32(scale)))
    if mode == "asymmetric":
        return x / s
    if mode == "align_corners":
        return Fraction(x * (n_in - 1), n_out - 1) if n_out > 1 else Fraction(0)
    if mode == "pytorch_half_pixel" and n_out == 1:
        return Fraction(0)
    return (x + Fraction(1, 2)) / s - Fraction(1, 2)


def reference(q: np.ndarray, axes: list[int], scales: list[float], mode: str,
              frac: int) -> np.ndarray:
    """Separable linear interpolation in Python ints, one floor(v + 1/2) at the end."""
    acc = q.astype(object)
    for axis, scale in zip(axes, scales):
        n_in = acc.shape[axis]
        n_out = int(np.float32(scale) * np.float32(n_in))
        moved = np.moveaxis(acc, axis, -1)
        out = np.empty((*moved.shape[:-1], n_out), dtype=object)
        for x in range(n_out):
            c = min(max(source_coordinate(mode, x, n_in, n_out, scale), Fraction(0)), n_in - 1)
            position = math.floor(c * 2**frac + Fraction(1, 2))
            lo, f = divmod(position, 2**frac)
            hi = min(lo + 1, n_in - 1)
            out[..., x] = moved[..., lo] * (2**frac - f) + moved[..., hi] * f
        acc = np.moveaxis(out, -1, axis)
    total = frac * len(axes)
    return np.vectorize(lambda v: math.floor(Fraction(v, 2**total) + Fraction(1, 2)),
                        otypes=[object])(acc)


def attrs_for(axes: list[int], scales: list[float], mode: str, frac: int = 12) -> dict:
    return normalize_attrs("IntResize", {"axes": axes, "scales": scales, "mode": mode,
                                         "frac_bits": frac})


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(MODES), st.lists(st.sampled_from(SCALES), min_size=1, max_size=2),
       st.integers(1, 5), st.integers(1, 5), st.integers(0, 13), st.integers(0, 2**16))
def test_matches_the_exact_rational_reference(mode, scales, h, w, frac, seed):
    q = np.random.default_rng(seed).integers(-128, 128, (2, h, w)).astype(np.int8)
    axes = [1, 2][:len(scales)]
    got = get_op("IntResize").evaluate(attrs_for(axes, scales, mode, frac), q)[0]
    want = reference(q, axes, scales, mode, frac)
    assert got.dtype == np.int8 and got.shape == want.shape
    assert np.array_equal(got.astype(np.int64), want.astype(np.int64))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(MODES), st.sampled_from(SCALES), st.sampled_from(SCALES),
       st.integers(0, 2**16))
def test_within_half_a_step_and_the_weight_rounding_of_the_float_op(mode, sh, sw, seed):
    q = np.random.default_rng(seed).integers(-128, 128, (1, 2, 5, 6)).astype(np.int8)
    resize = get_op("Resize")
    want = resize.evaluate(normalize_attrs("Resize", {
        "mode": "linear", "coordinate_transformation_mode": mode}), q.astype(np.float32),
        None, np.array([1, 1, sh, sw], np.float32))[0].astype(np.float64)
    got = get_op("IntResize").evaluate(attrs_for([2, 3], [sh, sw], mode), q)[0]
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 0.5 + 2 * 256 * 2.0**-13


def test_outputs_stay_inside_the_input_range():
    rule = get_op("IntResize")
    attrs = attrs_for([2, 3], [2.0, 2.0], "half_pixel")
    assert rule.value_range(attrs, [IntRange.of(-7, 90)], [None], [None]) == [IntRange.of(-7, 90)]
    q = np.random.default_rng(0).integers(-7, 91, (1, 1, 4, 4)).astype(np.int8)
    out = rule.evaluate(attrs, q)[0]
    assert out.min() >= q.min() and out.max() <= q.max()


def test_range_rule_refuses_int64_overflow():
    attrs = attrs_for([0, 1, 2], [2.0] * 3, "asymmetric", frac=13)
    with pytest.raises(ValueError, match="overflows int64"):
        get_op("IntResize").value_range(attrs, [IntRange.of(0, 2**30)], [None], [None])


def test_scales_with_huge_terms_are_refused():
    with pytest.raises(ValueError, match="below 2"):
        get_op("IntResize").evaluate(attrs_for([0], [1e-9], "asymmetric"), np.zeros(4, np.int8))


def test_fixed_lengths_win_over_the_scale():
    attrs = normalize_attrs("IntResize", {"axes": [0], "scales": [1.5], "lengths": [7],
                                          "mode": "asymmetric"})
    assert get_op("IntResize").evaluate(attrs, np.arange(4, dtype=np.int8))[0].shape == (7,)
