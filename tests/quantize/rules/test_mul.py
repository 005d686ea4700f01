import numpy as np

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def scaled_graph(factor: np.ndarray) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 4, 4))
    return finish(g, op(g, "Mul", [x, factor.astype(np.float32)]))


def test_positive_per_channel_factor_is_a_per_channel_requantize():
    factor = np.array([0.5, 2.0, 1.5]).reshape(3, 1, 1)
    g, data = scaled_graph(factor), normal(16, 3, 4, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["Requantize"]
    requant = model.graph.nodes[1]
    assert requant.attrs["axis"] == -3
    assert model.graph.constants[requant.inputs[1]].shape == (3,)
    assert_close(model, g, data, steps=1)


def test_a_factor_with_negative_entries_is_an_int_mul():
    factor = np.array([0.5, -2.0, 1.5]).reshape(3, 1, 1)
    g, data = scaled_graph(factor), normal(16, 3, 4, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMul", "Requantize"]
    assert model.graph.constants[model.graph.nodes[1].inputs[1]].dtype == np.int16
    assert_close(model, g, data, steps=1)


def test_a_factor_varying_along_two_axes_is_quantized_per_tensor():
    factor = np.linspace(-1, 1, 48).reshape(3, 4, 4)
    g, data = scaled_graph(factor), normal(16, 3, 4, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMul", "Requantize"]
    assert_close(model, g, data, steps=1)


def test_product_of_two_activations():
    g = Graph()
    a = g.add_input("a", "float32", ("N", 8))
    b = g.add_input("b", "float32", ("N", 8))
    finish(g, op(g, "Mul", [a, b]))
    data = (normal(64, 8, seed=1), normal(64, 8, seed=2))
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMul", "Requantize"]
    assert_close(model, g, *data, steps=1)
