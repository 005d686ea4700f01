import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.quantize import QuantConfigError

from .graphs import finish, float_values_inside, integer_ops, normal, op, quantize


def small_net() -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 6, 6))
    y = op(g, "Relu", [op(g, "Conv", [x, normal(4, 2, 3, 3, seed=1), normal(4, seed=2)],
                          kernel_shape=[3, 3])])
    y = op(g, "Conv", [y, normal(4, 4, 1, 1, seed=3, scale=0.05)], kernel_shape=[1, 1])
    y = op(g, "Sigmoid", [y])
    y = op(g, "Flatten", [y], axis=1)
    return finish(g, op(g, "MatMul", [y, normal(64, 3, seed=4, scale=0.2)]))


DATA = normal(32, 2, 6, 6, seed=5)


def float_error(model, graph) -> float:
    from intq.runtime.executor import run

    want = run(graph, DATA)[0]
    return float(np.abs(model.run(DATA)[0] - want).max() / np.abs(want).max())


def test_everything_lowers_by_default():
    g = small_net()
    model = quantize(g, DATA)
    assert model.exact and model.graph.meta["quantization"]["float_nodes"] == {}
    assert float_values_inside(model) == []
    assert float_error(model, g) < 0.03


def test_restore_by_op_type_puts_the_op_between_dequantize_and_quantize():
    g = small_net()
    model = quantize(g, DATA, restore_ops=["Sigmoid"])
    ops = [n.op for n in model.graph.nodes]
    at = ops.index("Sigmoid")
    assert ops[at - 1: at + 2] == ["Dequantize", "Sigmoid", "Quantize"]
    meta = model.graph.meta["quantization"]
    assert meta["float_nodes"] == {"sigmoid": "restore_ops"} and not meta["exact"]
    assert "conv" in meta["integer_nodes"] and "sigmoid" not in meta["integer_nodes"]
    assert float_values_inside(model) == []
    assert float_error(model, g) < 0.03


def test_restore_by_node_name():
    g = small_net()
    second_conv = g.nodes[2].name
    model = quantize(g, DATA, restore_nodes=[second_conv])
    assert model.graph.meta["quantization"]["float_nodes"] == {second_conv: "restore_nodes"}
    assert integer_ops(model).count("IntConv") == 1
    assert float_error(model, g) < 0.03


def test_split_keeps_everything_downstream_in_float():
    g = small_net()
    split = g.nodes[1].outputs[0]
    model = quantize(g, DATA, split=[split])
    meta = model.graph.meta["quantization"]
    assert set(meta["float_nodes"].values()) == {"split"}
    assert sorted(meta["float_nodes"]) == sorted(n.name for n in g.nodes[2:])
    assert [n.op for n in model.graph.nodes][:4] == ["Quantize", "IntConv", "Requantize",
                                                     "Dequantize"]
    assert model.output_quant == [None]
    assert float_error(model, g) < 0.03
    base = model.graph.nodes[2].outputs[0]
    assert model.graph.values[base].quant.signed is False


def test_an_op_without_an_integer_form_stays_float():
    """A CumSum over an axis of dynamic length cannot be bounded, so it has no integer form."""
    g = Graph()
    x = g.add_input("x", "float32", ("N", "T"))
    finish(g, op(g, "Relu", [op(g, "CumSum", [op(g, "Relu", [x]), np.array(1)])]))
    model = quantize(g, normal(16, 8, seed=1))
    assert model.graph.meta["quantization"]["float_nodes"] == {
        "cumsum": "no integer form for CumSum"}
    assert [n.op for n in model.graph.nodes] == ["Quantize", "Relu", "Dequantize", "CumSum",
                                                 "Quantize", "Relu", "Dequantize"]


@pytest.mark.parametrize("setting, message", [
    ({"restore_nodes": ["nope"]}, "restore_nodes names node 'nope'"),
    ({"per_layer": {"nope": {"act_bits": 4}}}, "per_layer names node 'nope'"),
    ({"split": ["nope"]}, "split names tensor 'nope'"),
    ({"restore_ops": ["Nope"]}, "restore_ops names op type 'Nope'"),
])
def test_names_the_model_does_not_have_are_errors(setting, message):
    with pytest.raises(QuantConfigError, match=message):
        quantize(small_net(), DATA, **setting)
