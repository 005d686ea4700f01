from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def test_global_average_pool_is_an_integer_sum_and_one_requantize():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 5, 5))
    finish(g, op(g, "GlobalAveragePool", [x]))
    data = normal(16, 4, 5, 5, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntReduceSum", "Requantize"]
    assert_close(model, g, data, steps=1)


def test_mean_over_the_last_axis():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6, 8))
    finish(g, op(g, "ReduceMean", [x, [-1]], keepdims=0))
    data = normal(16, 6, 8, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntReduceSum", "Requantize"]
    assert_close(model, g, data, steps=1)
