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


def test_means_over_symbolic_sizes_divide_by_the_count_when_run():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, "H", "W"))
    pooled = op(g, "GlobalAveragePool", [op(g, "Relu", [x])])
    finish(g, pooled, op(g, "ReduceMean", [x, [2, 3]], keepdims=0))
    data = normal(16, 4, 5, 7, seed=1)
    model = quantize(g, data)
    assert model.graph.meta["quantization"]["float_nodes"] == {}
    assert integer_ops(model).count("IntMean") == 2
    for size in ((5, 7), (3, 2), (9, 11)):   # any image size, with its own count
        sample = normal(4, 4, *size, seed=size[0])
        assert_close(model, g, sample, steps=1)
