"""Instance and group normalization lowered to IntGroupNorm run bit-identically in ONNX
Runtime, for any grouping, affine parameters and input statistics."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import intq

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([(4, 4), (4, 2), (6, 3), (3, 1)]), st.integers(1, 4),
       st.floats(0.1, 5), st.integers(0, 2**16))
def test_group_norm_parity(channels_groups, width, spread, seed):
    channels, groups = channels_groups
    rng = np.random.default_rng(seed)
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", channels, 3, width))
    gamma = g.const("gamma", rng.normal(1, 0.5, channels).astype(np.float32))
    beta = g.const("beta", rng.normal(0, 0.5, channels).astype(np.float32))
    out = (g.node("InstanceNormalization", [x, gamma, beta]) if groups == channels else
           g.node("GroupNormalization", [x, gamma, beta], num_groups=groups))
    graph = g.finish(out)
    data = (rng.normal(0, spread, (4, channels, 3, width)) + 1).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert "IntGroupNorm" in [n.op for n in model.graph.nodes]
    assert_parity(model.graph, {"x": data})
