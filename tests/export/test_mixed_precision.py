"""A model whose automatic precision mixed 8- and 16-bit activations exports bit-identically."""

from __future__ import annotations

import numpy as np

import intq
from intq.ir.graph import Graph
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs

from .parity import assert_parity


def _outlier_mlp() -> Graph:
    """MatMul → Relu four times; the first layer has one channel 100× the others."""
    rng = np.random.default_rng(1)
    g = Graph("outlier")
    g.add_input("x", "float32", ("N", 16))
    x = "x"
    for layer in range(4):
        w = rng.normal(scale=0.25, size=(16, 16)).astype(np.float32)
        if layer == 0:
            w[:, 3] *= 100.0
        y = g.add_node("MatMul", [x, g.add_constant("w", w)], 1,
                       attrs=normalize_attrs("MatMul", {})).outputs[0]
        x = g.add_node("Relu", [y], 1, attrs=normalize_attrs("Relu", {})).outputs[0]
    g.outputs = [x]
    infer_shapes(g)
    return g


def test_mixed_8_and_16_bit_activations_export_bit_identically():
    data = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
    model = intq.quantize(_outlier_mlp(), data, progress=False)
    bits = {n.attrs["bits"] for n in model.graph.nodes if n.op == "Requantize"}
    assert bits == {8, 16} and model.exact
    assert_parity(model.graph, {"x": data[:8]})
