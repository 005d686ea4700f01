import pytest

from intq.ir.graph import Graph
from intq.quantize import QuantizeError

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def pool_graph(**attrs) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 6, 6))
    return finish(g, op(g, "AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2], **attrs))


def test_average_pool_is_a_sum_pool_and_a_requantize():
    g, data = pool_graph(), normal(8, 2, 6, 6, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntSumPool", "Requantize"]
    assert_close(model, g, data, steps=1)


def test_padding_counted_in_the_divisor_is_exact():
    g, data = pool_graph(pads=[1, 1, 1, 1], count_include_pad=1), normal(8, 2, 6, 6, seed=1)
    assert_close(quantize(g, data), g, data, steps=1)


def test_position_dependent_divisor_is_an_error_unless_restored():
    g, data = pool_graph(pads=[1, 1, 1, 1]), normal(8, 2, 6, 6, seed=1)
    with pytest.raises(QuantizeError, match="AveragePool.*restore_nodes"):
        quantize(g, data)
    model = quantize(g, data, restore_nodes=[g.nodes[0].name])
    assert integer_ops(model) == ["AveragePool"] and not model.exact
