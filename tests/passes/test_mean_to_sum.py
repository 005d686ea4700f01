import numpy as np
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import mean_to_sum


def test_global_average_pool_becomes_sum_times_inverse_count():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 5, 7))
    after = assert_preserves(finish(g, op(g, "GlobalAveragePool", [x])), mean_to_sum, exact=False)
    assert ops_of(after) == ["Mul", "ReduceSum"]
    mul = next(n for n in after.nodes if n.op == "Mul")
    assert after.constants[mul.inputs[1]] == np.float32(1 / 35)


def test_reduce_mean_over_static_axes_with_and_without_keepdims():
    for keepdims in (0, 1):
        g = Graph()
        x = g.add_input("x", "float32", ("N", "T", 8))
        y = op(g, "ReduceMean", [x, const(g, [-1], "int64")], keepdims=keepdims)
        after = assert_preserves(finish(g, y), mean_to_sum, exact=False)
        assert ops_of(after) == ["Mul", "ReduceSum"]


def test_mean_over_a_symbolic_axis_stays():
    g = Graph()
    x = g.add_input("x", "float32", ("N", "T", 8))
    finish(g, op(g, "ReduceMean", [x, const(g, [1], "int64")]))
    assert_preserves(g, mean_to_sum, expect_change=False)
