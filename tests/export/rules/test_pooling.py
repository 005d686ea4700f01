"""IntSumPool in ONNX Runtime equals intq's window sums for every window geometry."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=30, deadline=None)
@given(kernel=st.lists(st.integers(1, 3), min_size=2, max_size=2),
       strides=st.lists(st.integers(1, 3), min_size=2, max_size=2),
       dilations=st.lists(st.integers(1, 2), min_size=2, max_size=2),
       pads=st.lists(st.integers(0, 1), min_size=4, max_size=4),
       dtype=st.sampled_from(["int8", "uint8", "int16"]), acc_bits=st.sampled_from([32, 64]),
       seed=st.integers(0, 2**16))
def test_int_sum_pool_parity(kernel: list, strides: list, dilations: list, pads: list,
                             dtype: str, acc_bits: int, seed: int):
    info = np.iinfo(dtype)
    x = np.random.default_rng(seed).integers(info.min, info.max, (2, 3, 7, 6),
                                             endpoint=True).astype(dtype)
    g = GraphBuilder()
    xi = g.input("x", dtype, ("N", 3, 7, 6))
    y = g.node("IntSumPool", [xi], kernel_shape=kernel, strides=strides, dilations=dilations,
               pads=pads, acc_bits=acc_bits)
    assert_parity(g.finish(y), {"x": x})
