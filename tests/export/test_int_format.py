"""``format="int"`` with ``raw=True``: the integers the output Dequantize nodes read, one output
per model output (like ``QuantizedModel.run_int``), from float inputs."""

from __future__ import annotations

import numpy as np

from intq.export import to_onnx
from intq.export.int_format import raw_outputs
from intq.runtime.executor import execute

from .parity import GraphBuilder, assert_identical, run_levels


def test_raw_outputs_one_per_model_output():
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 3))
    q = g.node("Quantize", [x], scale=0.1, bits=6)
    doubled = g.node("IntAdd", [q, q], multipliers=[1, 1], shift=0, bits=8)
    graph = g.finish(g.node("Dequantize", [doubled], scale=0.2),
                     g.node("Dequantize", [doubled], scale=0.2), q)
    raw = raw_outputs(graph)
    assert raw.outputs[0] == doubled and raw.outputs[2] == q and len(raw.outputs) == 3
    model = to_onnx(graph, raw=True)
    feeds = {"x": np.linspace(-5, 5, 12, dtype=np.float32).reshape(4, 3)}
    want = execute(graph, feeds, outputs=[doubled, q])
    for got in run_levels(model, feeds):
        assert_identical(got[0], want[doubled])
        assert_identical(got[1], want[doubled])
        assert_identical(got[2], want[q])
    assert "Dequantize" not in {n.op for n in raw.nodes}
    assert graph.outputs[0] != raw.outputs[0]
