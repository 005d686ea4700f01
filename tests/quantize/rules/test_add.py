import numpy as np

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def residual_graph(kind: str, *after: str) -> Graph:
    g = Graph()
    a = g.add_input("a", "float32", ("N", 8))
    b = g.add_input("b", "float32", ("N", 8))
    y = op(g, kind, [a, b])
    for name in after:
        y = op(g, name, [y])
    return finish(g, y)


def test_residual_add_is_one_int_add_with_one_rounding():
    data = (normal(64, 8, seed=1), normal(64, 8, seed=2, scale=3.0))
    g = residual_graph("Add")
    model = quantize(g, data)
    assert integer_ops(model) == ["IntAdd"]
    add = model.graph.nodes[2]
    scales = [q.scale for q in model.input_quant]
    out = model.output_quant[0].scale
    ratios = [m / 2 ** add.attrs["shift"] for m in add.attrs["multipliers"]]
    np.testing.assert_allclose(ratios, [s / out for s in scales], rtol=1e-6)
    assert_close(model, g, *data, steps=1)


def test_sub_uses_a_negative_multiplier_and_relu_fuses():
    data = (normal(64, 8, seed=1), normal(64, 8, seed=2))
    g = residual_graph("Sub", "Relu")
    model = quantize(g, data)
    assert integer_ops(model) == ["IntAdd"]
    add = model.graph.nodes[2]
    assert add.attrs["multipliers"][0] > 0 > add.attrs["multipliers"][1]
    assert add.attrs["lo"] == 0 and add.attrs["signed"] == 0
    assert_close(model, g, *data, steps=1)


def test_adding_a_constant_uses_a_fine_integer_constant():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    finish(g, op(g, "Add", [x, np.array([0.5, -1.0, 2.0, 0.01], np.float32)]))
    data = normal(64, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntAdd"]
    constant = model.graph.constants[model.graph.nodes[1].inputs[1]]
    assert constant.dtype == np.int32
    assert_close(model, g, data, steps=1)
