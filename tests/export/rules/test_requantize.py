"""Requantize in ONNX Runtime equals intq's: ties, negative accumulators, saturation, per-channel
multipliers, every shift, int32 and int64 accumulators near their limits."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.quant.fixedpoint import int_range

from ..parity import GraphBuilder, assert_parity


@st.composite
def requantize_cases(draw: st.DrawFn) -> tuple:
    channels = draw(st.sampled_from([1, 3]))
    acc_dtype = draw(st.sampled_from(["int32", "int64"]))
    k = np.array(draw(st.lists(st.integers(0, 62), min_size=channels, max_size=channels)))
    m = np.array(draw(st.lists(st.one_of(st.integers(1, (1 << 31) - 1),
                                         st.sampled_from([1, 2, 1 << 30, (1 << 31) - 1])),
                               min_size=channels, max_size=channels)))
    limit = min(int(np.iinfo(acc_dtype).max), (1 << 62) // int(m.max()))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    acc = rng.integers(-limit, limit, (2, channels, 5), endpoint=True)
    scale = rng.integers(0, 62, acc.shape)
    acc = np.clip(acc >> scale, -limit, limit)
    # exact ties: acc * m = (2t + 1) * 2^(k-1) needs m = 1 on that channel
    tie_m = np.where(k > 0, 1, m)
    odd = 2 * rng.integers(-(1 << 20), 1 << 20, (1, channels, 5)) + 1
    ties = np.where(k[:, None] > 0, odd << np.maximum(k[:, None] - 1, 0), odd)
    ties = np.clip(ties, -limit, limit)
    bits = draw(st.integers(2, 16))
    signed = draw(st.booleans())
    full = int_range(bits, signed)
    lo = draw(st.integers(*full))
    hi = draw(st.integers(lo, full[1]))
    return acc.astype(acc_dtype), ties.astype(acc_dtype), m, tie_m, k, bits, signed, lo, hi


@settings(max_examples=40, deadline=None)
@given(requantize_cases(), st.sampled_from([1, -2]))
def test_requantize_parity(case: tuple, axis: int):
    acc, ties, m, tie_m, k, bits, signed, lo, hi = case
    for data, mult in ((acc, m), (ties, tie_m)):
        g = GraphBuilder()
        x = g.input("acc", data.dtype.name, ("N", data.shape[1], 5))
        y = g.node("Requantize", [x, g.const("m", mult), g.const("k", k)], bits=bits,
                   signed=int(signed), lo=lo, hi=hi, axis=axis)
        assert_parity(g.finish(y), {"acc": data})


def test_requantize_saturates_wide_accumulators():
    """Results of every magnitude up to 2^62 saturate to the 8-bit range (ONNX Runtime's own
    int64 Clip/Max/Min get some of these wrong)."""
    powers = 1 << np.arange(62, dtype=np.int64)
    edges = np.concatenate([powers, powers + (powers >> 2), powers - 1])
    acc = np.concatenate([edges, -edges, [0, 5, -5, 2684354560, -2684354560]])[None, :]
    g = GraphBuilder()
    x = g.input("acc", "int64", acc.shape)
    y = g.node("Requantize", [x, g.const("m", np.int64(1)), g.const("k", np.int64(0))], bits=8,
               signed=1, axis=-1)
    assert_parity(g.finish(y), {"acc": acc.astype(np.int64)})
