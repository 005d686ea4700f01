import numpy as np

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def transpose_graph(**attrs) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, "H", "W"))
    w = normal(4, 3, 3, 3, seed=1, scale=0.3)
    y = op(g, "ConvTranspose", [x, w, normal(6, seed=2, scale=0.1)], kernel_shape=[3, 3],
           **attrs)
    return finish(g, op(g, "Relu", [y]))


def test_conv_transpose_becomes_zero_insert_conv_and_one_requantize():
    g = transpose_graph(strides=[2, 2], pads=[1, 0, 1, 0], output_padding=[1, 0], group=2)
    x = normal(16, 4, 5, 6, seed=3)
    model = quantize(g, x)
    assert integer_ops(model) == ["IntZeroInsert", "IntConv", "Requantize"]
    assert float_values_inside(model) == [] and model.exact
    conv = model.graph.nodes[2]
    assert model.graph.constants[conv.inputs[1]].dtype == np.int8
    assert model.graph.constants[conv.inputs[2]].dtype == np.int32
    assert model.graph.nodes[3].attrs["lo"] == 0
    assert_close(model, g, x, steps=3)


def test_output_shape_with_a_symbolic_size_stays_float():
    g = transpose_graph(strides=[2, 2], output_shape=[10, 12], group=2)
    model = quantize(g, normal(8, 4, 5, 6, seed=3))
    assert "ConvTranspose" in [n.op for n in model.graph.nodes]

