"""The compiled epilogues (``intq.ops.integer.jit``, numba): the same integers as the
Requantize and IntAdd references, on every plan and layout they are given."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops import get_op
from intq.ops.integer import jit
from intq.ops.integer.add import PairTable
from intq.ops.integer.requantize import Rescale
from intq.ops.registry import normalize_attrs

from .test_rescale_plan import clamped_attrs, reference

pytestmark = pytest.mark.skipif(not jit.enabled(), reason="numba is not installed")


@st.composite
def rescale_case(draw):
    """A Rescale, a float accumulator within a float plan's bounds, and that plan."""
    attrs = draw(clamped_attrs())
    channels = draw(st.integers(1, 4))
    size = channels if draw(st.booleans()) else 1
    m = np.array(draw(st.lists(st.integers(1, 2**31 - 1), min_size=size, max_size=size)))
    k = np.array(draw(st.lists(st.integers(0, 62), min_size=size, max_size=size)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    peak = draw(st.sampled_from([2**24 if dtype == np.float32 else 2**40, 2**16, 300, 5]))
    count, rows, width = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    n = channels * count * rows * width
    acc = np.array(draw(st.lists(st.integers(-peak, peak) | st.sampled_from([-peak, peak]),
                                 min_size=n, max_size=n)))
    acc = acc.reshape(channels, count, rows, width).astype(dtype)
    rescale = Rescale(attrs, m, k)
    bounds = [int(np.abs(acc[c].astype(np.int64)).max()) + draw(st.integers(0, 3))
              for c in range(channels)]
    if rescale.channels == 1:
        bounds = [max(bounds)]
    plan = rescale.plan(bounds, np.dtype(dtype))
    return attrs, m, k, rescale, acc, plan


@settings(max_examples=300, deadline=None)
@given(case=rescale_case(), data=st.data())
def test_rescale_of_summed_blocks_matches_the_reference(case, data):
    """The accumulator is split into 1-4 blocks laid out at their own offsets in wider rows
    (as ``conv_kernel.Taps`` hands them over), with NaN everywhere else: the loop reads only
    the blocks and rescales their sum like the reference."""
    attrs, m, k, rescale, acc, plan = case
    channels, count, rows, width = acc.shape
    compiled = None if plan is None else rescale.compiled(plan, channels)
    if compiled is None:
        assert plan is None or not plan.in_float  # every float plan compiles
        return
    blocks = data.draw(st.integers(1, 4))
    row = width + data.draw(st.integers(0, 2))  # wider-grid columns to skip
    offsets = np.array(data.draw(st.lists(st.integers(0, 7), min_size=blocks,
                                          max_size=blocks)), dtype=np.int64)
    part = np.trunc(acc / blocks)  # every part and partial sum within the accumulator's bound
    parts = [acc - (blocks - 1) * part] + [part] * (blocks - 1)
    span = int(offsets.max()) + rows * row
    y = np.full((blocks * channels, count, span), np.nan, dtype=acc.dtype)
    for t, (offset, values) in enumerate(zip(offsets, parts)):
        view = y[t * channels:(t + 1) * channels, :, offset:offset + rows * row]
        view.reshape(channels, count, rows, row)[..., :width] = values
    want = reference(acc, m.reshape(-1), k.reshape(-1), attrs, 0) \
        if m.size > 1 else reference(acc, m, k, attrs, 0)
    out = np.empty((count, channels, rows * width), dtype=rescale.dtype)
    jit.rescale_taps(y, channels, offsets, rows, row, width, *compiled, out)
    assert out.reshape(count, channels, rows, width).swapaxes(0, 1).tobytes() == \
        np.ascontiguousarray(want).tobytes()


@settings(max_examples=200, deadline=None)
@given(case=rescale_case())
def test_channels_last_rescale_matches_the_reference(case):
    attrs, m, k, rescale, acc, plan = case
    channels = acc.shape[0]
    compiled = None if plan is None else rescale.compiled(plan, channels)
    if compiled is None:
        return
    rows = np.ascontiguousarray(acc.reshape(channels, -1).T)  # (rows, channels)
    want = reference(rows, m.reshape(-1), k.reshape(-1), attrs, 1) \
        if m.size > 1 else reference(rows, m, k, attrs, 1)
    out = np.empty(rows.shape, dtype=rescale.dtype)
    jit.rescale_channels_last(rows, *compiled, out)
    assert out.tobytes() == want.tobytes()


def test_a_per_tensor_rescale_compiles_for_any_channel_count_and_is_cached():
    rescale = Rescale(normalize_attrs("Requantize", {"bits": 8, "signed": 0}),
                      np.array(1 << 20), np.array(30))
    plan = rescale.plan([1000], np.dtype(np.float32))
    four, seven = rescale.compiled(plan, 4), rescale.compiled(plan, 7)
    assert four.scale.shape == (4,) and seven.scale.shape == (7,)
    assert rescale.compiled(plan, 4) is four
    per_channel = Rescale(normalize_attrs("Requantize", {}), np.array([3, 5]), np.array([2, 3]))
    assert per_channel.compiled(per_channel.plan([10, 10], np.dtype(np.float32)), 3) is None


def test_compiled_loops_are_off_without_numba(monkeypatch):
    rescale = Rescale(normalize_attrs("Requantize", {}), np.array(3), np.array(2))
    plan = rescale.plan([100], np.dtype(np.float32))
    monkeypatch.setattr(jit, "_numba", None)
    assert not jit.enabled() and rescale.compiled(plan, 1) is None


@settings(max_examples=50, deadline=None)
@given(data=st.data(), da=st.sampled_from([np.int8, np.uint8]),
       db=st.sampled_from([np.int8, np.uint8]))
def test_pair_lookup_matches_the_numpy_table_and_the_reference(data, da, db):
    op = get_op("IntAdd")
    attrs = normalize_attrs("IntAdd", {
        "multipliers": data.draw(st.lists(st.integers(-2**20, 2**20), min_size=2, max_size=2)),
        "shift": data.draw(st.integers(0, 24)), "signed": data.draw(st.integers(0, 1))})
    shape = data.draw(st.sampled_from([(5,), (2, 3, 4), (1, 1)]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    a = rng.integers(0, 256, shape).astype(np.uint8).view(da)
    b = rng.integers(0, 256, shape).astype(np.uint8).view(db)
    want = op.evaluate(attrs, a, b)[0]
    got = PairTable(op, attrs)(a, b)[0]
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jit, "_numba", None)
        assert PairTable(op, attrs)(a, b)[0].tobytes() == want.tobytes()
