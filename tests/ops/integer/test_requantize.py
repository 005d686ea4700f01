import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs
from intq.quant.fixedpoint import int_range

from .references import rescale_reference

op = get_op("Requantize")


@st.composite
def requantize_cases(draw):
    channels = draw(st.integers(1, 4))
    per_channel = draw(st.booleans())
    size = channels if per_channel else 1
    k = np.array(draw(st.lists(st.integers(0, 40), min_size=size, max_size=size)), np.int64)
    m = np.array(draw(st.lists(st.integers(1, 2**31 - 1), min_size=size, max_size=size)),
                 np.int64)
    dtype = draw(st.sampled_from(["int32", "int64"]))
    limit = 2**31 - 1 if dtype == "int32" else 2**31
    acc = draw(hnp.arrays(dtype, (draw(st.integers(1, 3)), channels, draw(st.integers(1, 3))),
                          elements=st.integers(-limit, limit)))
    bits, signed = draw(st.integers(2, 16)), draw(st.booleans())
    full_lo, full_hi = int_range(bits, signed)
    lo = draw(st.integers(full_lo, full_hi))
    hi = draw(st.integers(lo, full_hi))
    attrs = normalize_attrs("Requantize", {"bits": bits, "signed": int(signed), "lo": lo,
                                           "hi": hi, "axis": 1})
    return acc, (m if per_channel else m.reshape(())), (k if per_channel else k.reshape(())), \
        attrs


@settings(max_examples=200, deadline=None)
@given(requantize_cases())
def test_requantize_is_one_round_half_up_then_clamp(case):
    acc, m, k, attrs = case
    ms = np.broadcast_to(m.reshape(1, -1, 1), acc.shape) if m.ndim else np.full(acc.shape, m)
    ks = np.broadcast_to(k.reshape(1, -1, 1), acc.shape) if k.ndim else np.full(acc.shape, k)
    want = [rescale_reference(int(a), int(mm), int(kk), attrs["lo"], attrs["hi"])
            for a, mm, kk in zip(acc.ravel(), ms.ravel(), ks.ravel())]
    ref = op.evaluate(attrs, acc, m, k)[0]
    fast = op.evaluate_fast(attrs, acc, m, k)[0]
    assert ref.ravel().tolist() == want
    assert ref.dtype == fast.dtype == np.dtype(
        f"{'' if attrs['signed'] else 'u'}int{8 if attrs['bits'] <= 8 else 16}")
    assert fast.tobytes() == ref.tobytes()


def test_ties_round_towards_plus_infinity():
    acc = np.array([-5, -3, -1, 1, 3, 5], dtype=np.int32)
    attrs = normalize_attrs("Requantize", {})
    for evaluate in (op.evaluate, op.evaluate_fast):
        y = evaluate(attrs, acc, np.array(1, np.int64), np.array(1, np.int64))[0]
        assert y.tolist() == [-2, -1, 0, 1, 2, 3]


def test_fused_relu_clamp_and_saturation():
    acc = np.array([[-1000, -3, 0, 7, 1000]], dtype=np.int32)
    attrs = normalize_attrs("Requantize", {"lo": 0, "hi": 100})
    for evaluate in (op.evaluate, op.evaluate_fast):
        y = evaluate(attrs, acc, np.array([1], np.int64), np.array([0], np.int64))[0]
        assert y.tolist() == [[0, 0, 0, 7, 100]] and y.dtype == np.int8


def test_per_channel_on_the_last_axis():
    acc = np.arange(-6, 6, dtype=np.int64).reshape(2, 2, 3)
    m = np.array([1, 2, 3], np.int64)
    k = np.array([0, 1, 2], np.int64)
    attrs = normalize_attrs("Requantize", {"axis": -1})
    want = [[[rescale_reference(int(a), int(mm), int(kk), -128, 127)
              for a, mm, kk in zip(row, m, k)] for row in plane] for plane in acc]
    for evaluate in (op.evaluate, op.evaluate_fast):
        assert evaluate(attrs, acc, m, k)[0].tolist() == want


def test_fast_path_falls_back_where_the_product_could_overflow():
    acc = np.array([2**40, -2**40], dtype=np.int64)
    attrs = normalize_attrs("Requantize", {"bits": 32})
    m, k = np.array(2**21, np.int64), np.array(40, np.int64)
    assert op.evaluate_fast(attrs, acc, m, k)[0].tolist() == [2**21, -2**21]
    with pytest.raises(ValueError, match="2\\^62"):
        op.evaluate_fast(attrs, acc, np.array(2**30, np.int64), k)


@pytest.mark.parametrize("attrs, message", [({"lo": 5, "hi": 2}, "ordered"),
                                             ({"bits": 4, "hi": 100}, "inside")])
def test_bad_clamps_are_rejected(attrs, message):
    with pytest.raises(ValueError, match=message):
        op.evaluate(normalize_attrs("Requantize", attrs), np.zeros(3, np.int32),
                    np.array(1, np.int64), np.array(0, np.int64))


def test_schema_defaults_and_output_dtype():
    assert normalize_attrs("Requantize", {"bits": 4, "signed": 0}) == {
        "bits": 4, "signed": 0, "lo": 0, "hi": 15, "axis": 1}
    assert normalize_attrs("Requantize", {"bits": 16})["lo"] == -2**15
    t = op.infer(normalize_attrs("Requantize", {"bits": 16, "signed": 0}),
                 [TensorType(("N", 4), "int32"), None, None], [None] * 3)
    assert t == [TensorType(("N", 4), "uint16")]


@pytest.mark.parametrize("shift", [0, 1, 2])
@pytest.mark.parametrize("acc", [2**52 - 1, 2**52 + 1, 2**53 - 1, 2**53 + 1, -(2**53) - 1,
                                 2**60 + 3])
def test_fast_tiers_are_exact_around_2_pow_53(acc, shift):
    """Near 2^52..2^53 float64 would drop the low bits (2^53 + 1 rounds like 2^53, and with
    k = 0 even the added half); the fast path must notice and switch to int64."""
    attrs = normalize_attrs("Requantize", {"bits": 63})
    x = np.array([acc, 1, -1], dtype=np.int64)
    k = np.array(shift, np.int64)
    got = op.evaluate_fast(attrs, x, np.array(1, np.int64), k)[0]
    assert got.tolist() == [rescale_reference(int(v), 1, shift, -2**62, 2**62 - 1) for v in x]
