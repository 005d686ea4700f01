"""Integer LogSoftmax runs bit-identically in ONNX Runtime, for any axis and input spread."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import intq

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=8, deadline=None)
@given(st.sampled_from([-1, 1]), st.floats(0.1, 20), st.integers(0, 2**16))
def test_log_softmax_parity(axis, spread, seed):
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 3, 9))
    graph = g.finish(g.node("LogSoftmax", [x], axis=axis))
    data = np.random.default_rng(seed).normal(0, spread, (8, 3, 9)).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert "IntLogSoftmax" in [n.op for n in model.graph.nodes]
    assert_parity(model.graph, {"x": data})
