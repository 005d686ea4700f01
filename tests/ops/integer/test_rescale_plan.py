"""The fused epilogue's rescale (``requantize.Rescale``): its accumulator limits, its plans
(float64 as is, float64 after a clamp, the signed-offset rounding, int64) and the per-thread
scratch arena, all bit-identical to the Requantize reference."""

import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops import get_op
from intq.ops.integer import scratch as scratch_module
from intq.ops.integer.requantize import Rescale, fused_rescale
from intq.ops.integer.scratch import scratch
from intq.ops.registry import normalize_attrs

conv = get_op("IntConv")
requantize = get_op("Requantize")


@st.composite
def clamped_attrs(draw):
    """Requantize attributes with the clamp often narrowed (a fused Relu/Clip)."""
    bits, signed = draw(st.sampled_from([4, 8, 16])), draw(st.integers(0, 1))
    full_lo = -(1 << bits - 1) if signed else 0
    full_hi = (1 << bits - 1) - 1 if signed else (1 << bits) - 1
    lo = draw(st.sampled_from([full_lo, 0, full_lo // 2]) | st.integers(full_lo, full_hi))
    hi = draw(st.sampled_from([full_hi, full_hi // 3]) | st.integers(lo, full_hi))
    lo, hi = min(lo, hi), max(lo, hi)
    lo = max(lo, full_lo)
    return normalize_attrs("Requantize", {"bits": bits, "signed": signed, "lo": lo, "hi": hi})


def reference(acc, m, k, attrs, axis):
    return requantize.evaluate({**attrs, "axis": axis}, acc.astype(np.int64), m, k)[0]


@settings(max_examples=300, deadline=None)
@given(attrs=clamped_attrs(), data=st.data())
def test_limits_keep_the_clamped_rescale(attrs, data):
    channels = data.draw(st.integers(1, 3))
    m = np.array(data.draw(st.lists(st.integers(1, 2**31 - 1) | st.integers(1, 50),
                                     min_size=channels, max_size=channels)))
    k = np.array(data.draw(st.lists(st.integers(0, 62) | st.integers(0, 12),
                                    min_size=channels, max_size=channels)))
    bounds = data.draw(st.lists(st.integers(0, 3000), min_size=channels, max_size=channels))
    rescale = Rescale(attrs, m, k)
    low, high = rescale.limits(bounds)
    union = (min(low), max(high))
    for c, bound in enumerate(bounds):
        a = np.arange(-bound, bound + 1, dtype=np.int64)
        assert -bound <= low[c] <= high[c] <= bound
        want = np.clip((a * int(m[c]) + ((1 << int(k[c])) >> 1)) >> int(k[c]),
                       rescale.lo, rescale.hi)
        for lo_c, hi_c in ((low[c], high[c]), union):
            clamped = np.clip(a, lo_c, hi_c)
            got = np.clip((clamped * int(m[c]) + ((1 << int(k[c])) >> 1)) >> int(k[c]),
                          rescale.lo, rescale.hi)
            assert np.array_equal(got, want)


@settings(max_examples=300, deadline=None)
@given(attrs=clamped_attrs(), data=st.data(),
       dtype=st.sampled_from([np.float32, np.float64, np.int32, np.int64]))
def test_every_rescale_plan_matches_the_reference(attrs, data, dtype):
    channels = data.draw(st.integers(1, 4))
    per_channel = data.draw(st.booleans())
    size = channels if per_channel else 1
    m = np.array(data.draw(st.lists(st.integers(1, 2**31 - 1), min_size=size, max_size=size)))
    k = np.array(data.draw(st.lists(st.integers(0, 62), min_size=size, max_size=size)))
    if not per_channel:
        m, k = m.reshape(()), k.reshape(())
    limit = {np.float32: 2**24, np.float64: 2**40, np.int32: 2**31 - 1, np.int64: 2**40}[dtype]
    peak = data.draw(st.sampled_from([limit, 2**16, 300, 5]))
    acc = np.array(data.draw(st.lists(st.integers(-peak, peak) | st.sampled_from([-peak, peak]),
                                      min_size=channels * 6, max_size=channels * 6)))
    acc = acc.reshape(2, channels, 3).astype(dtype)
    rescale = Rescale(attrs, m, k)
    bounds = [int(np.abs(acc[:, c].astype(np.int64)).max()) + data.draw(st.integers(0, 3))
              for c in range(channels)]
    if rescale.channels == 1:
        bounds = [max(bounds)]
    plan = rescale.plan(bounds, np.dtype(dtype))
    if plan is None:
        return
    if not rescale.int_exact(bounds):  # the reference refuses these products
        return
    want = reference(acc, m, k, attrs, 1)
    for work in (None, np.empty(acc.shape)):
        out = np.empty(acc.shape, dtype=rescale.dtype)
        rescale.apply(acc.copy(), plan, out, 3, 1, work)
        assert out.tobytes() == want.tobytes()
    # the same into a strided (transposed) target, as the fused convolution writes
    target = np.empty((channels, 2, 3), dtype=rescale.dtype)
    rescale.apply(acc.copy(), plan, target.swapaxes(0, 1), 3, 1)
    assert target.swapaxes(0, 1).tobytes() == want.tobytes()


def test_wide_accumulators_take_the_clamped_float_rescale():
    attrs = normalize_attrs("Requantize", {"bits": 8, "signed": 1})
    m, k = np.array([2**31 - 1, 2**30 + 3]), np.array([42, 41])
    rescale = Rescale(attrs, m, k)
    bounds = [5_000_000, 6_000_000]  # bound * m is beyond 2^52: plain float64 is not exact
    assert not rescale.float_exact(bounds)
    plan = rescale.plan(bounds, np.dtype(np.float32))
    assert plan.in_float and plan.limits is not None
    rng = np.random.default_rng(0)
    acc = rng.integers(-5_000_000, 5_000_001, (3, 2, 50)).astype(np.float32)
    out = np.empty(acc.shape, np.int8)
    rescale.apply(acc.copy(), plan, out, 3, 1)
    assert out.tobytes() == reference(acc, m, k, attrs, 1).tobytes()


@settings(max_examples=100, deadline=None)
@given(data=st.data(), attrs=clamped_attrs())
def test_fused_conv_with_wide_accumulators_matches_the_reference(data, attrs):
    x = np.array(data.draw(st.lists(st.integers(-2**15, 2**15 - 1), min_size=2 * 3 * 25,
                                    max_size=2 * 3 * 25)), dtype=np.int16).reshape(2, 3, 5, 5)
    w = np.array(data.draw(st.lists(st.integers(-127, 127), min_size=4 * 27, max_size=4 * 27)),
                 dtype=np.int8).reshape(4, 3, 3, 3)
    b = np.array(data.draw(st.lists(st.integers(-2**20, 2**20), min_size=4, max_size=4)),
                 dtype=np.int32)
    c_attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                          "acc_bits": 64})
    m = np.array(data.draw(st.lists(st.integers(2**20, 2**31 - 1), min_size=4, max_size=4)))
    k = np.array(data.draw(st.lists(st.integers(30, 50), min_size=4, max_size=4)))
    fused = conv.prepare_fused(c_attrs, [None, w, b], "Requantize", attrs, [None, m, k])
    acc = conv.evaluate(c_attrs, x, w, b)[0]
    want = requantize.evaluate(attrs, acc, m, k)[0]
    got = fused(x, w, b)[0]
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_fused_rescale_declines_what_it_cannot_prepare():
    attrs = normalize_attrs("Requantize", {})
    m, k = np.array(3), np.array(2)
    assert fused_rescale("Relu", attrs, [None, m, k]) is None
    assert fused_rescale("Requantize", attrs, [None, None, k]) is None
    assert fused_rescale("Requantize", {}, [None, m, k]) is None
    assert fused_rescale("Requantize", attrs, [None, np.array(0), k]) is None
    _, unfused = fused_rescale("Requantize", attrs, [None, m, k])
    acc = np.array([[-7, 0, 9]], dtype=np.int32)
    assert unfused(acc)[0].tobytes() == requantize.evaluate(attrs, acc, m, k)[0].tobytes()


def test_scratch_reuses_per_name_and_thread(monkeypatch):
    a = scratch("test.a", 100, np.float64)
    assert a.shape == (100,) and a.dtype == np.float64
    assert np.shares_memory(a, scratch("test.a", 50, np.float32))
    assert not np.shares_memory(a, scratch("test.b", 100, np.float64))
    other = []
    thread = threading.Thread(target=lambda: other.append(scratch("test.a", 100, np.float64)))
    thread.start()
    thread.join()
    assert not np.shares_memory(a, other[0])
    monkeypatch.setattr(scratch_module, "KEEP_LIMIT", 1000)
    big = scratch("test.a", 1000, np.float64)
    assert not np.shares_memory(big, scratch("test.a", 1000, np.float64))
