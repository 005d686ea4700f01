"""Hand-built integer graphs, and the check that ONNX Runtime runs their export bit-identically.

``assert_parity`` runs a graph in intq (reference and fast path), exports it with
``format="int"`` and runs it in ONNX Runtime with graph optimizations off and fully on:
every output must have the same dtype, shape and bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort

from intq.export import to_onnx
from intq.ir.graph import Graph, QuantInfo
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.runtime.executor import execute

LEVELS = (ort.GraphOptimizationLevel.ORT_DISABLE_ALL, ort.GraphOptimizationLevel.ORT_ENABLE_ALL)


class GraphBuilder:
    """Appends nodes with normalized attributes to a fresh graph."""

    def __init__(self, name: str = "g") -> None:
        self.graph = Graph(name)

    def input(self, name: str, dtype: str, shape: tuple, scale: float | None = None) -> str:
        self.graph.add_input(name, dtype, shape)
        if scale is not None:
            info = np.iinfo(dtype)
            self.graph.values[name].quant = QuantInfo(info.bits, info.min < 0, scale)
        return name

    def const(self, hint: str, array: Any) -> str:
        return self.graph.add_constant(hint, np.asarray(array))

    def node(self, op: str, inputs: list[str], outputs: int = 1, **attrs: Any) -> str:
        node = self.graph.add_node(op, inputs, outputs, attrs=normalize_attrs(op, attrs))
        return node.outputs[0]

    def finish(self, *outputs: str) -> Graph:
        self.graph.outputs = list(outputs)
        infer_shapes(self.graph)
        return self.graph


def session(model: onnx.ModelProto, level: ort.GraphOptimizationLevel) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.graph_optimization_level = level
    options.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def run_levels(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> list[list[np.ndarray]]:
    """The model's outputs in ONNX Runtime at each level of ``LEVELS``."""
    return [session(model, level).run(None, dict(feeds)) for level in LEVELS]


def assert_parity(graph: Graph, feeds: Mapping[str, np.ndarray], opset: int = 17
                  ) -> onnx.ModelProto:
    """Export ``graph`` and check ONNX Runtime's outputs equal intq's, byte for byte."""
    want = execute(graph, feeds)
    fast = execute(graph, feeds, fast=True)
    model = to_onnx(graph, opset=opset)
    for outputs in run_levels(model, feeds):
        for name, got in zip(graph.outputs, outputs):
            assert_identical(got, want[name], name)
            assert_identical(got, fast[name], name)
    return model


def assert_identical(got: np.ndarray, want: np.ndarray, what: str = "") -> None:
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert np.array_equal(got, want), \
        f"{what}: {int((got != want).sum())} of {got.size} values differ"


def op_types(model: onnx.ModelProto) -> set[str]:
    return {node.op_type for node in model.graph.node}
