"""An integer CumSum runs bit-identically in ONNX Runtime, for every option and axis."""

from __future__ import annotations

import numpy as np
import pytest

import intq

from ..parity import GraphBuilder, assert_parity


@pytest.mark.parametrize("axis, exclusive, reverse", [(2, 0, 0), (1, 1, 0), (-1, 0, 1),
                                                      (2, 1, 1)])
def test_cumsum_parity(axis, exclusive, reverse):
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 3, 7))
    graph = g.finish(g.node("CumSum", [x, g.const("axis", np.array(axis, np.int64))],
                            exclusive=exclusive, reverse=reverse))
    data = np.random.default_rng(axis % 3).normal(0, 1, (8, 3, 7)).astype(np.float32)
    model = intq.quantize(graph, data, progress=False)
    assert "IntCumSum" in [n.op for n in model.graph.nodes]
    assert_parity(model.graph, {"x": data})
