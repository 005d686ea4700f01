"""IntSoftmax in ONNX Runtime equals intq's I-BERT softmax: masks, rows at the input minimum,
fully masked rows, every axis, static and symbolic row lengths, input scales from coarse to
fine, output widths up to 16 bits."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops.integer import softmax_attrs
from intq.quant.nonlinear import plan_i_softmax

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.002, 0.5), in_bits=st.sampled_from([8, 12, 16]),
       out_bits=st.sampled_from([8, 16]), axis=st.sampled_from([-1, 1]), mask=st.booleans(),
       symbolic=st.booleans(), seed=st.integers(0, 2**16))
def test_int_softmax_parity(scale: float, in_bits: int, out_bits: int, axis: int, mask: bool,
                            symbolic: bool, seed: int):
    """``symbolic``: the row length is unknown to the export (a sequence length)."""
    rng = np.random.default_rng(seed)
    lo = -(1 << (in_bits - 1))
    dtype = "int8" if in_bits == 8 else "int16"
    q = rng.integers(lo, -lo, (2, 5, 7)).astype(dtype)
    q[0, 0, :] = lo
    q[1, :, 0] = lo
    g = GraphBuilder()
    inputs = [g.input("q", dtype, ("N", "S", "T") if symbolic else ("N", 5, 7))]
    feeds = {"q": q}
    if mask:
        inputs.append(g.input("mask", "bool", (1, 5, 7)))
        feeds["mask"] = rng.random((1, 5, 7)) < 0.3
    attrs = softmax_attrs(plan_i_softmax(scale, in_bits, out_bits), axis)
    assert_parity(g.finish(g.node("IntSoftmax", inputs, **attrs)), feeds)
