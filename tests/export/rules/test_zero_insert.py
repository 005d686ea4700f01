"""IntZeroInsert (and the IntConv after it, i.e. an integer ConvTranspose) in ONNX Runtime
equals intq's: every stride, negative and positive pads, symbolic spatial sizes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ..parity import GraphBuilder, assert_parity, op_types


@settings(max_examples=25, deadline=None)
@given(rank=st.sampled_from([1, 2]), strides=st.lists(st.integers(1, 3), min_size=2, max_size=2),
       pads=st.lists(st.integers(-1, 2), min_size=4, max_size=4),
       dtype=st.sampled_from(["int8", "uint8"]), seed=st.integers(0, 2**16))
def test_zero_insert_then_conv_parity(rank: int, strides: list, pads: list, dtype: str,
                                      seed: int):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (2, 4, *[4] * rank), endpoint=True).astype(dtype)
    g = GraphBuilder()
    xi = g.input("x", dtype, ("N", 4, *["H", "W"][:rank]))
    spread = g.node("IntZeroInsert", [xi], strides=strides[:rank],
                    pads=pads[:rank] + pads[2:2 + rank])
    w = g.const("w", rng.integers(-127, 128, (6, 2, *[2] * rank)).astype(np.int8))
    b = g.const("b", rng.integers(-3000, 3000, 6).astype(np.int32))
    y = g.node("IntConv", [spread, w, b], kernel_shape=[2] * rank, group=2)
    model = assert_parity(g.finish(spread, y), {"x": x})
    assert not op_types(model) & {"ConvTranspose", "ConvInteger", "Conv"}
