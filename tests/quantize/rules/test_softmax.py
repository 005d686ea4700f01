import numpy as np

from intq.ir.graph import Graph
from intq.passes.isolate_softmax_masks import masked_fill_value

from ..graphs import finish, float_values_inside, integer_ops, normal, op, quantize


def test_softmax_is_an_integer_softmax_and_only_masks_get_zero_weight():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 8))
    finish(g, op(g, "Softmax", [x], axis=-1))
    data = normal(32, 4, 8, seed=1, scale=2.0)
    model = quantize(g, data)
    assert integer_ops(model) == ["Clip", "IntSoftmax"]
    quant = model.output_quant[0]
    assert (quant.bits, quant.signed, quant.scale) == (8, False, 2.0 ** -8)
    want = np.exp(data - data.max(-1, keepdims=True))
    want /= want.sum(-1, keepdims=True)
    assert np.abs(model.run(data)[0] - want).max() < 0.02
    lowest = np.full((1, 4, 8), -128, np.int8)
    assert (model.run_int(lowest)[0] == 32).all()


def test_an_isolated_mask_becomes_the_mask_input():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 4))
    keep = np.tril(np.ones((4, 4), bool))
    fill = np.float32(masked_fill_value("float32"))
    finish(g, op(g, "Softmax", [op(g, "Where", [keep, x, fill])], axis=-1))
    data = normal(32, 4, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["Clip", "IntSoftmax"] and float_values_inside(model) == []
    mask = model.graph.constants[model.graph.nodes[2].inputs[1]]
    np.testing.assert_array_equal(mask, ~keep)
    out = model.run_int(np.zeros((1, 4, 4), np.int8))[0]
    assert (out[0][~keep] == 0).all()
    assert (out[0, 3] == 64).all()
