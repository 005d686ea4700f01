import numpy as np

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def test_concat_requantizes_inputs_onto_the_output_grid():
    g = Graph()
    a = g.add_input("a", "float32", ("N", 4))
    b = g.add_input("b", "float32", ("N", 4))
    finish(g, op(g, "Concat", [a, b], axis=1))
    data = (normal(64, 4, seed=1), normal(64, 4, seed=2, scale=5.0))
    model = quantize(g, data)
    assert integer_ops(model) == ["Requantize", "Concat"]
    assert model.input_quant[1].scale == model.output_quant[0].scale
    assert_close(model, g, *data, steps=1)


def test_concat_of_one_grid_needs_no_requantize():
    g = Graph()
    a = g.add_input("a", "float32", ("N", 4))
    finish(g, op(g, "Concat", [op(g, "Relu", [a]), a], axis=1))
    model = quantize(g, normal(64, 4, seed=1))
    assert integer_ops(model) == ["Relu", "Concat"]
    assert model.output_quant[0] == model.input_quant[0]


def test_max_and_min_with_a_constant():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    y = g.add_input("y", "float32", ("N", 4))
    finish(g, op(g, "Min", [op(g, "Max", [x, y]), np.float32(0.7)]))
    data = (normal(64, 4, seed=1), normal(64, 4, seed=2))
    model = quantize(g, data)
    assert "Max" in integer_ops(model) and "Min" in integer_ops(model)
    assert model.exact
    assert_close(model, g, *data, steps=2)
