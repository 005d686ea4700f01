"""Integer ArgMax, ArgMin and TopK run bit-identically in ONNX Runtime, ties included."""

from __future__ import annotations

import numpy as np
import pytest

import intq
from intq.ops.registry import normalize_attrs

from ..parity import GraphBuilder, assert_parity


@pytest.mark.parametrize("op_type, attrs", [
    ("ArgMax", {"axis": 2}), ("ArgMin", {"axis": 1, "select_last_index": 1}),
    ("TopK", {"axis": 2}), ("TopK", {"axis": 2, "largest": 0})])
def test_selection_parity(op_type, attrs):
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 3, 7))
    if op_type == "TopK":
        k = g.const("k", np.array([4], np.int64))
        node = g.graph.add_node("TopK", [x, k], 2, attrs=normalize_attrs("TopK", attrs))
        graph = g.finish(*node.outputs)
    else:
        graph = g.finish(g.node(op_type, [x], **attrs))
    data = np.round(np.random.default_rng(0).normal(0, 2, (8, 3, 7))).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert op_type in [n.op for n in model.graph.nodes]
    assert_parity(model.graph, {"x": data})
