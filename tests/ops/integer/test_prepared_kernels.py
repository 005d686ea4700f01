"""Prepared (per-node) fast kernels and fusions: bit-identical to the reference, errors
included, on every geometry and in every arithmetic tier."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ops import get_op
from intq.ops.integer import conv_kernel
from intq.ops.registry import normalize_attrs

from .test_conv import conv_cases

conv = get_op("IntConv")
matmul = get_op("IntMatMul")
requantize = get_op("Requantize")
add = get_op("IntAdd")


def outcome(run):
    try:
        return run()[0]
    except ValueError as error:
        return error


def assert_same(got, want):
    if isinstance(want, Exception):
        assert isinstance(got, Exception), f"expected {want!r}"
    else:
        assert not isinstance(got, Exception), got
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


@st.composite
def rescales(draw, channels):
    per_channel = draw(st.booleans())
    size = channels if per_channel else 1
    m = np.array(draw(st.lists(st.integers(1, 2**31 - 1), min_size=size, max_size=size)))
    k = np.array(draw(st.lists(st.integers(0, 50), min_size=size, max_size=size)))
    if not per_channel:
        m, k = m.reshape(()), k.reshape(())
    bits, signed = draw(st.sampled_from([4, 8, 16])), draw(st.integers(0, 1))
    return m.astype(draw(st.sampled_from([np.int64, np.int32]))), k.astype(np.int64), \
        normalize_attrs("Requantize", {"bits": bits, "signed": signed})


@pytest.fixture(params=[1 << 30, 1], ids=["one-chunk", "chunk-per-sample"])
def chunk_bytes(request, monkeypatch):
    monkeypatch.setattr(conv_kernel, "CHUNK_BYTES", request.param)


SHIFTS = {"shift-forced": {"SHIFT_MIN_DEPTH": 1, "SHIFT_WASTE": float("inf")},
          "shift-off": {"SHIFT_WASTE": 0.0}}
"""Module settings that make every eligible 2-D convolution run as shifted blocks
(``ConvKernel._shift_chunk``), or none."""


@pytest.fixture(params=[None, *SHIFTS], ids=["default", *SHIFTS])
def shift(request, monkeypatch):
    for name, value in SHIFTS.get(request.param, {}).items():
        monkeypatch.setattr(conv_kernel, name, value)


@pytest.mark.parametrize("shifts", SHIFTS)
@settings(max_examples=150, deadline=None)
@given(case=conv_cases(dtypes=("int8", "uint8", "int16", "int32")),
       acc_bits=st.sampled_from([32, 64]), data=st.data())
def test_prepared_conv_and_its_fusion_match_the_reference(shifts, case, acc_bits, data):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SHIFTS[shifts].items():
            patch.setattr(conv_kernel, name, value)
        check_prepared_conv(case, acc_bits, data)


def check_prepared_conv(case, acc_bits, data):
    x, w, b, attrs = case
    attrs = {**attrs, "acc_bits": acc_bits}
    args = (x, w) if b is None else (x, w, b)
    consts = [None, *args[1:]]
    want = outcome(lambda: conv.evaluate(attrs, *args))
    assert_same(outcome(lambda: conv.prepare_fast(attrs, consts)(*args)), want)
    m, k, r_attrs = data.draw(rescales(w.shape[0]))
    fused = conv.prepare_fused(attrs, consts, "Requantize", r_attrs, [None, m, k])
    assert fused is not None
    if not isinstance(want, Exception):
        want = outcome(lambda: requantize.evaluate(r_attrs, want, m, k))
    assert_same(outcome(lambda: fused(*args)), want)


@pytest.mark.usefixtures("chunk_bytes", "shift")
@pytest.mark.parametrize("geometry", [
    {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]},
    {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 2]},
    {"kernel_shape": [3, 3], "pads": [0, 1, 2, 1], "strides": [2, 1], "dilations": [2, 1]},
    {"kernel_shape": [1, 1], "strides": [2, 2]},
    {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "group": 8},
    {"kernel_shape": [3], "pads": [1, 1], "strides": [2], "group": 2},
    {"kernel_shape": [2, 2, 2], "pads": [1, 0, 1, 0, 1, 0]},
], ids=["3x3", "3x3-s2", "asym-dilated", "1x1-s2", "depthwise", "1d-grouped", "3d"])
def test_chunked_kernels_match_the_reference(geometry):
    rng = np.random.default_rng(0)
    rank = len(geometry["kernel_shape"])
    groups = geometry.get("group", 1)
    x = rng.integers(0, 256, (5, 8, *([9] * rank))).astype(np.uint8)
    x[0] = 255
    w = rng.integers(-127, 128, (8, 8 // groups, *geometry["kernel_shape"])).astype(np.int8)
    w[0] = 127
    b = rng.integers(-2**20, 2**20, 8).astype(np.int32)
    attrs = normalize_attrs("IntConv", geometry)
    m, k = rng.integers(2**29, 2**31, 8), np.full(8, 36)
    r_attrs = normalize_attrs("Requantize", {"signed": 0, "lo": 0})
    acc = conv.evaluate(attrs, x, w, b)[0]
    assert_same(conv.prepare_fast(attrs, [None, w, b])(x, w, b)[0], acc)
    fused = conv.prepare_fused(attrs, [None, w, b], "Requantize", r_attrs, [None, m, k])
    assert_same(fused(x, w, b)[0], requantize.evaluate(r_attrs, acc, m, k)[0])


def test_fusion_takes_the_int64_rescale_and_the_fallback_where_floats_are_not_exact():
    rng = np.random.default_rng(1)
    x = rng.integers(-2**15, 2**15, (2, 4, 6, 6)).astype(np.int16)
    w = np.full((3, 4, 3, 3), 127, dtype=np.int8)
    attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "acc_bits": 64})
    acc = conv.evaluate(attrs, x, w)[0]
    r_attrs = normalize_attrs("Requantize", {"bits": 16})
    for m in (2**12, 2**26, 2**40):  # float64 rescale, int64 rescale, too wide: reference raises
        m, k = np.array(m), np.array(40)
        fused = conv.prepare_fused(attrs, [None, w], "Requantize", r_attrs, [None, m, k])
        assert_same(outcome(lambda fused=fused: fused(x, w)),
                    outcome(lambda m=m, k=k: requantize.evaluate(r_attrs, acc, m, k)))


def test_fusion_needs_the_requantize_axis_on_the_channels():
    w = np.ones((3, 2, 1, 1), np.int8)
    attrs = normalize_attrs("IntConv", {"kernel_shape": [1, 1]})
    m, k = np.ones(3, np.int64), np.ones(3, np.int64)
    r_attrs = normalize_attrs("Requantize", {"axis": 2})
    assert conv.prepare_fused(attrs, [None, w], "Requantize", r_attrs, [None, m, k]) is None
    assert conv.prepare_fused(attrs, [None, None], "Requantize", {}, [None, m, k]) is None


@settings(max_examples=150, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["int8", "uint8", "int16", "int32"]),
       acc_bits=st.sampled_from([32, 64]), with_bias=st.booleans())
def test_prepared_matmul_and_its_fusion_match_the_reference(data, dtype, acc_bits, with_bias):
    inner, cols = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 5))
    lo, hi = (-2**28, 2**28) if dtype == "int32" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
    lead = data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    a = data.draw(hnp.arrays(dtype, (*lead, inner), elements=st.integers(lo, hi)))
    b = data.draw(hnp.arrays(np.int8, (inner, cols), elements=st.integers(-127, 127)))
    bias = np.arange(cols, dtype=np.int32) * 1000 - 2000 if with_bias else None
    args = (a, b) if bias is None else (a, b, bias)
    consts = [None, *args[1:]]
    attrs = {"acc_bits": acc_bits}
    want = outcome(lambda: matmul.evaluate(attrs, *args))
    assert_same(outcome(lambda: matmul.prepare_fast(attrs, consts)(*args)), want)
    m, k, r_attrs = data.draw(rescales(cols))
    r_attrs = {**r_attrs, "axis": -1}
    fused = matmul.prepare_fused(attrs, consts, "Requantize", r_attrs, [None, m, k])
    if not isinstance(want, Exception):
        want = outcome(lambda: requantize.evaluate(r_attrs, want, m, k))
    assert_same(outcome(lambda: fused(*args)), want)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), da=st.sampled_from(["int8", "uint8"]),
       db=st.sampled_from(["int8", "uint8", "int16"]))
def test_two_input_add_table_matches_the_reference(data, da, db):
    shapes = st.sampled_from([(2, 3, 4), (3, 4), (1, 4), (2, 1, 4), ()])
    a = data.draw(hnp.arrays(da, data.draw(shapes)))
    b = data.draw(hnp.arrays(db, data.draw(shapes)))
    mults = data.draw(st.lists(st.integers(-2**31, 2**31) | st.just(2**60), min_size=2,
                               max_size=2))
    attrs = normalize_attrs("IntAdd", {"multipliers": mults, "shift": data.draw(
        st.integers(0, 62)), "bits": data.draw(st.sampled_from([4, 8, 16])),
        "signed": data.draw(st.integers(0, 1))})
    kernel = add.prepare_fast(attrs, [None, None])
    assert_same(outcome(lambda: kernel(a, b)), outcome(lambda: add.evaluate(attrs, a, b)))
