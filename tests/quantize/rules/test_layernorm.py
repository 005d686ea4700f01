from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def test_layer_norm_over_the_last_axis_is_an_integer_layer_norm():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 5, 16))
    gamma, beta = normal(16, seed=2, scale=0.3) + 1, normal(16, seed=3, scale=0.1)
    finish(g, op(g, "LayerNormalization", [x, gamma, beta], axis=-1))
    data = normal(32, 5, 16, seed=1, scale=3.0) + 1.0
    model = quantize(g, data)
    assert integer_ops(model) == ["IntLayerNorm"]
    assert_close(model, g, data, steps=2)


def test_layer_norm_over_two_axes_stays_float():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 4))
    finish(g, op(g, "LayerNormalization", [x, normal(4, 4, seed=2)], axis=1))
    model = quantize(g, normal(8, 4, 4, seed=1))
    assert integer_ops(model) == ["LayerNormalization"] and not model.exact
