"""Content intq cannot import raises UnsupportedOpError with one line naming the op and node
and saying what to do (and what it says works); nodes ONNX Runtime can run become islands."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

import intq
from frontends.onnx_models import assert_import_fails, make, tensor
from intq.frontends.onnx_import import import_onnx
from intq.errors import UnsupportedOpError
from intq.ops import registry


def _unsupported_node_model(node, domain, functions=()):
    graph = helper.make_graph([node], "g", [tensor("x", ["N", 4])], [tensor("y", ["N", 4])])
    return helper.make_model(graph, functions=list(functions), opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(domain, 1)])


CUT = "onnx.utils.extract_model"


def test_op_of_an_unknown_domain_names_the_node_and_says_how_to_cut_it():
    node = helper.make_node("FusedThing", ["x"], ["y"], name="fuse1", domain="com.acme")
    model = _unsupported_node_model(node, "com.acme")
    assert_import_fails(UnsupportedOpError, model, "com.acme.FusedThing", "'fuse1'",
                        "ONNX Runtime rejects it too", CUT)


def test_op_missing_from_the_registry_becomes_an_onnx_runtime_island(monkeypatch):
    monkeypatch.delitem(registry._REGISTRY, "Relu")
    node = helper.make_node("Relu", ["x"], ["y"], name="act")
    (island,) = import_onnx(make([node], [tensor("x", ["N", 4])], ["y"])).nodes
    assert (island.op, island.name, island.attrs["op_type"]) == ("OnnxIsland", "act", "Relu")
    assert island.attrs["reason"] == "intq has no float reference for Relu"


def _if_model(branch_output: str = "z"):
    branch = helper.make_graph([helper.make_node("Identity", ["a"], [branch_output])], "branch",
                               [], [tensor(branch_output, ["N", 4])])
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="act"),
             helper.make_node("If", ["cond"], ["y"], name="choose", then_branch=branch,
                              else_branch=branch)]
    return make(nodes, [tensor("cond", [], np.bool_), tensor("x", ["N", 4])],
                [tensor("y", ["N", 4])])


def test_control_flow():
    assert_import_fails(UnsupportedOpError, _if_model(), "'If'", "'choose'", "control flow", CUT)


def test_the_advice_for_control_flow_works(tmp_path):
    """Cutting the model before the If, as the error says, gives a model intq quantizes."""
    onnx.save(_if_model(), tmp_path / "full.onnx")
    onnx.utils.extract_model(str(tmp_path / "full.onnx"), str(tmp_path / "part.onnx"), ["x"],
                             ["a"])
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    qmodel = intq.quantize(intq.load_onnx(tmp_path / "part.onnx"), x, progress=False)
    assert qmodel.exact and qmodel.run(x)[0].shape == (8, 4)


def test_onnx_function():
    body = [helper.make_node("Relu", ["a"], ["b"])]
    function = helper.make_function("local", "MyRelu", ["a"], ["b"], body,
                                    [helper.make_opsetid("", 21)])
    node = helper.make_node("MyRelu", ["x"], ["y"], name="call", domain="local")
    model = _unsupported_node_model(node, "local", [function])
    assert_import_fails(UnsupportedOpError, model, "'MyRelu'", "'call'", "ONNX function", CUT)


def test_unsupported_dtype_names_the_tensor():
    w = helper.make_tensor("w", onnx.TensorProto.BFLOAT16, [4], [1.0, 2.0, 3.0, 4.0])
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.BFLOAT16,
                                                             [4])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.BFLOAT16,
                                                             [4])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    assert_import_fails(UnsupportedOpError, model, "initializer 'w'", "bfloat16")


def test_sequence_input():
    seq = helper.make_tensor_sequence_value_info("x", onnx.TensorProto.FLOAT, [4])
    node = helper.make_node("SequenceLength", ["x"], ["y"])
    model = make([node], [seq], [tensor("y", [], np.int64)])
    assert_import_fails(UnsupportedOpError, model, "'x'", "tensor inputs only")
