"""ONNX Runtime islands: the carried node runs as ONNX Runtime runs it, its shapes come from
ONNX's inference, and a missing onnxruntime costs exactly the islands, with a one-line error."""

from __future__ import annotations

import sys

import numpy as np
import onnx
import pytest
from onnx import helper

from intq.errors import MissingDependencyError
from intq.frontends.onnx_import import import_onnx
from intq.ops import onnx_island
from intq.ops.onnx_island import decode_node, source_op_type
from intq.runtime.executor import run
from frontends.onnx_models import make, tensor
from conftest import run_ort

RNG = np.random.default_rng(0)


def _grid_sample_model(opset: int = 17, mode: str = "bilinear") -> onnx.ModelProto:
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], name="sample", mode=mode,
                            align_corners=1)
    return make([node], [tensor("x", ["N", 2, 5, 6]), tensor("grid", ["N", 3, 4, 2])], ["y"],
                opset=opset, ir_version=8)


def _inputs(batch: int = 3) -> tuple[np.ndarray, np.ndarray]:
    return (RNG.standard_normal((batch, 2, 5, 6)).astype(np.float32),
            RNG.uniform(-1.1, 1.1, (batch, 3, 4, 2)).astype(np.float32))


def test_an_op_outside_the_registry_runs_exactly_as_onnx_runtime_runs_it():
    model = _grid_sample_model()
    graph = import_onnx(model)
    (node,) = graph.nodes
    assert node.op == "OnnxIsland" and source_op_type(node) == "GridSample"
    x, grid = _inputs()
    np.testing.assert_array_equal(run(graph, x, grid)[0],
                                  run_ort(model.SerializeToString(), x, grid)[0])


def test_shapes_come_from_onnx_inference_with_symbolic_dims_kept():
    graph = import_onnx(_grid_sample_model())
    assert graph.values["y"].type_str() == "float32[N,2,3,4]"


def test_the_carried_node_has_positional_names_and_keeps_its_attributes():
    (node,) = import_onnx(_grid_sample_model()).nodes
    proto = decode_node(node.attrs)
    assert list(proto.input) == ["in0", "in1"] and list(proto.output) == ["out0"]
    assert proto.name == "sample"
    assert {a.name: helper.get_attribute_value(a) for a in proto.attribute} == {
        "mode": b"bilinear", "align_corners": 1}
    assert node.attrs["opset"] == 17 and node.attrs["reason"] == (
        "intq has no float reference for GridSample")


def test_one_session_per_node_and_input_signature():
    graph = import_onnx(_grid_sample_model())
    onnx_island._session.cache_clear()
    for batch in (1, 2, 5):
        run(graph, *_inputs(batch))
    assert onnx_island._session.cache_info().currsize == 1


def test_a_contrib_op_onnx_cannot_type_is_typed_by_running_it():
    node = helper.make_node("FastGelu", ["x"], ["y"], name="gelu", domain="com.microsoft")
    graph = helper.make_graph([node], "g", [tensor("x", ["N", 4])], [tensor("y", ["N", 4])])
    model = helper.make_model(graph, ir_version=8, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    imported = import_onnx(model)
    assert imported.values["y"].type_str() == "float32[N,4]"
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_array_equal(run(imported, x)[0], run_ort(model.SerializeToString(), x)[0])


def test_without_onnxruntime_import_works_and_running_names_the_node(monkeypatch):
    graph = import_onnx(_grid_sample_model())
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    onnx_island._session.cache_clear()
    with pytest.raises(MissingDependencyError) as info:
        run(graph, *_inputs())
    message = str(info.value)
    assert "'sample' (GridSample)" in message and "pip install onnxruntime" in message
    assert "\n" not in message
