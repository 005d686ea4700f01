"""``export_onnx``/``to_onnx``: checked models written atomically, opsets 17-21, one-line errors
naming the culprit for anything that cannot be exported exactly."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from intq.errors import IntqError, UnsupportedOpError
from intq.export import ExportError, export_onnx, to_onnx
from intq.export.registry import FORMATS, exported_ops
from intq.ops.registry import registered_ops

from .parity import GraphBuilder, assert_parity


def small_graph():
    g = GraphBuilder("small")
    x = g.input("x", "float32", ("N", 2, 4, 4))
    q = g.node("Quantize", [x], scale=0.05)
    acc = g.node("IntConv", [q, g.const("w", np.arange(-9, 9).reshape(2, 1, 3, 3).astype(np.int8))],
                 kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=2)
    y = g.node("Requantize", [acc, g.const("m", np.array([1 << 30, 3 << 28])),
                              g.const("k", np.array([36, 35]))], bits=8, signed=0, lo=0, hi=200)
    top = g.node("ReduceMax", [y, g.const("axes", np.array([2, 3]))])
    return g.finish(g.node("Dequantize", [top], scale=0.1))


def test_export_writes_a_checked_model_atomically(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    assert export_onnx(small_graph(), path) == path
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_failed_export_leaves_the_old_file(tmp_path):
    g = GraphBuilder()
    x = g.input("x", "int8", (1, 1, 2, 2))
    y = g.node("Resize", [x, "", g.const("scales", np.array([1, 1, 2, 2], np.float32))],
               mode="cubic")
    path = tmp_path / "model.onnx"
    path.write_bytes(b"old")
    with pytest.raises(UnsupportedOpError):
        export_onnx(g.finish(y), path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


@pytest.mark.parametrize("opset", [17, 18, 19, 20, 21])
def test_every_supported_opset_is_exact(opset: int):
    x = np.random.default_rng(opset).normal(0, 3, (3, 2, 4, 4)).astype(np.float32)
    model = assert_parity(small_graph(), {"x": x}, opset=opset)
    assert model.opset_import[0].version == opset


def test_ir_value_names_survive():
    model = to_onnx(small_graph())
    names = {o for n in model.graph.node for o in n.output}
    assert {"quantize_out", "intconv_out", "requantize_out"} <= names
    assert [o.name for o in model.graph.output] == ["dequantize_out"]
    assert [i.name for i in model.graph.input] == ["x"]


def test_export_takes_only_models_and_graphs():
    with pytest.raises(ExportError, match="export takes a quantized model or its graph, got str"):
        to_onnx("model.intq")


@pytest.mark.parametrize("kwargs,message", [
    ({"format": "tflite"}, "export format 'tflite' is unknown"),
    ({"opset": 13}, "opset 13 is not supported"),
    ({"format": "qdq", "raw": True}, "raw integer outputs need format 'int'"),
])
def test_bad_requests(kwargs: dict, message: str):
    with pytest.raises(ExportError, match=message) as info:
        to_onnx(small_graph(), **kwargs)
    assert "\n" not in str(info.value)


def test_node_without_export_rule_is_named():
    graph = small_graph()
    graph.add_node("IntMystery", [graph.outputs[0]], ["mystery"], name="odd_node")
    graph.outputs = ["mystery"]
    with pytest.raises(IntqError) as info:
        to_onnx(graph)
    assert str(info.value) == "node 'odd_node' (IntMystery) has no int ONNX export rule"


@pytest.mark.parametrize("build,fragment", [
    (lambda g, x: g.node("Gelu", [g.node("Dequantize", [x], scale=0.1)]),
     r"node 'gelu' \(Gelu\) cannot be exported to ONNX: op type Gelu does not exist in opset "
     r"17; export with a newer opset"),
    (lambda g, x: g.node("IntConv", [x, x], kernel_shape=[1, 1]),
     r"node 'intconv' \(IntConv\) cannot be exported to ONNX: the weight must be a constant"),
    (lambda g, x: g.node("ReduceMax", [g.node("IntReduceSum", [x], acc_bits=64),
                                       g.const("axes", np.array([1]))]),
     r"node 'reducemax' \(ReduceMax\) cannot be exported to ONNX: ONNX Runtime has no "
     r"ReduceMax kernel for int64"),
])
def test_unexportable_nodes_raise_one_line_naming_them(build, fragment: str):
    g = GraphBuilder()
    x = g.input("x", "int8", (1, 4, 1, 1))
    graph = g.finish(build(g, x))
    with pytest.raises(UnsupportedOpError, match=fragment) as info:
        to_onnx(graph)
    assert "\n" not in str(info.value)


def test_every_integer_op_has_rules_in_both_formats():
    integer_ops = {"Quantize", "Dequantize", "Requantize", "IntConv", "IntMatMul", "IntAdd",
                   "IntMul", "IntSumPool", "IntReduceSum", "IntLUT", "IntSoftmax",
                   "IntLayerNorm"}
    assert integer_ops <= set(registered_ops())
    for fmt in FORMATS:
        assert integer_ops <= set(exported_ops(fmt))
