"""A matrix-product Einsum, lowered to IntMatMul, runs bit-identically in ONNX Runtime."""

from __future__ import annotations

import numpy as np

import intq

from ..parity import GraphBuilder, assert_parity


def test_weight_einsum_parity():
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 5, 6))
    w = g.const("w", np.random.default_rng(0).normal(0, 0.3, (6, 4)).astype(np.float32))
    graph = g.finish(g.node("Einsum", [x, w], equation="bij,jk->bik"))
    data = np.random.default_rng(1).normal(0, 1, (8, 5, 6)).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert "IntMatMul" in [n.op for n in model.graph.nodes] and model.exact
    assert_parity(model.graph, {"x": data})
