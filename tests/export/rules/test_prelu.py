"""A per-channel PRelu (Relu, Min, IntMul by the integer slope, IntAdd) in ONNX Runtime equals
intq's, for any slopes including negative ones and zeros."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import intq

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3),
       st.integers(0, 2**16))
def test_per_channel_prelu_parity(slopes: list, seed: int):
    rng = np.random.default_rng(seed)
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 3, "H", "W"))
    slope = g.const("slope", np.array(slopes, np.float32).reshape(3, 1, 1))
    graph = g.finish(g.node("PRelu", [x, slope]))
    data = rng.normal(0, 1, (8, 3, 4, 5)).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert "IntAdd" in [n.op for n in model.graph.nodes]
    assert_parity(model.graph, {"x": data})
