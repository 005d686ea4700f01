"""A linear Resize lowered to IntResize runs bit-identically in ONNX Runtime, for every
coordinate mode, up- and down-scaling, and dynamic spatial lengths."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import intq

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners"]),
       st.sampled_from([0.5, 1.5, 2.0, 3.0]), st.sampled_from([0.75, 2.0, 4.0]),
       st.integers(1, 6), st.integers(0, 2**16))
def test_linear_resize_parity(mode, sh, sw, h, seed):
    rng = np.random.default_rng(seed)
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 2, "H", "W"))
    scales = g.const("scales", np.array([1, 1, sh, sw], np.float32))
    graph = g.finish(g.node("Resize", [x, "", scales], mode="linear",
                            coordinate_transformation_mode=mode))
    data = rng.normal(0, 1, (4, 2, h, 5)).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert "IntResize" in [n.op for n in model.graph.nodes]
    assert_parity(model.graph, {"x": data})


def test_fixed_sizes_parity():
    g = GraphBuilder()
    x = g.input("x", "float32", (3, 2, 4, 4))
    sizes = g.const("sizes", np.array([3, 2, 7, 9], np.int64))
    graph = g.finish(g.node("Resize", [x, "", "", sizes], mode="linear"))
    data = np.random.default_rng(0).normal(0, 1, (3, 2, 4, 4)).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert_parity(model.graph, {"x": data})
