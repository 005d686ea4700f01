"""Content intq cannot import raises UnsupportedOpError with one line naming the op and node
and saying what to do."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from frontends.onnx_models import assert_import_fails, make, tensor
from intq.errors import UnsupportedOpError
from intq.ops import registry


def _unsupported_node_model(node, domain, functions=()):
    graph = helper.make_graph([node], "g", [tensor("x", ["N", 4])], [tensor("y", ["N", 4])])
    return helper.make_model(graph, functions=list(functions), opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(domain, 1)])


def test_custom_domain_op():
    node = helper.make_node("FusedThing", ["x"], ["y"], name="fuse1", domain="com.acme")
    model = _unsupported_node_model(node, "com.acme")
    assert_import_fails(UnsupportedOpError, model, "com.acme.FusedThing", "'fuse1'", "restore",
                        "split")


def test_op_missing_from_the_registry(monkeypatch):
    monkeypatch.delitem(registry._REGISTRY, "Relu")
    node = helper.make_node("Relu", ["x"], ["y"], name="act")
    model = make([node], [tensor("x", ["N", 4])], ["y"])
    assert_import_fails(UnsupportedOpError, model, "'Relu'", "'act'", "restore", "split")


def test_control_flow():
    branch = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "branch", [],
                               [tensor("z", ["N", 4])])
    node = helper.make_node("If", ["cond"], ["y"], name="choose", then_branch=branch,
                            else_branch=branch)
    model = make([node], [tensor("cond", [], np.bool_), tensor("x", ["N", 4])],
                 [tensor("y", ["N", 4])])
    assert_import_fails(UnsupportedOpError, model, "'If'", "'choose'", "control flow", "restore")


def test_onnx_function():
    body = [helper.make_node("Relu", ["a"], ["b"])]
    function = helper.make_function("local", "MyRelu", ["a"], ["b"], body,
                                    [helper.make_opsetid("", 21)])
    node = helper.make_node("MyRelu", ["x"], ["y"], name="call", domain="local")
    model = _unsupported_node_model(node, "local", [function])
    assert_import_fails(UnsupportedOpError, model, "'MyRelu'", "'call'", "ONNX function", "restore")


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
