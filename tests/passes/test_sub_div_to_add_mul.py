import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import sub_div_to_add_mul


def graph_with(build) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    return finish(g, build(g, x))


def test_sub_of_constant_becomes_exact_add_of_negation():
    after = assert_preserves(graph_with(lambda g, x: op(g, "Sub", [x, const(g, [1.5, -2, 0, 3])])),
                             sub_div_to_add_mul, exact=True)
    assert ops_of(after) == ["Add"]
    np.testing.assert_array_equal(after.constants[after.nodes[0].inputs[1]], [-1.5, 2, 0, -3])


def test_div_by_constant_becomes_mul_by_reciprocal():
    divide = graph_with(lambda g, x: op(g, "Div", [x, const(g, [3.0, 7.0, 0.1, 2])]))
    after = assert_preserves(divide, sub_div_to_add_mul, exact=False)
    assert ops_of(after) == ["Mul"]


def test_power_of_two_divisor_is_exact():
    assert_preserves(graph_with(lambda g, x: op(g, "Div", [x, const(g, 0.25)])),
                     sub_div_to_add_mul, exact=True)


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_left_alone_constant_minuend_zero_divisor_and_integer_division():
    assert_preserves(graph_with(lambda g, x: op(g, "Sub", [const(g, 1.0), x])),
                     sub_div_to_add_mul, expect_change=False)
    assert_preserves(graph_with(lambda g, x: op(g, "Div", [x, const(g, [1.0, 0.0, 2.0, 1.0])])),
                     sub_div_to_add_mul, expect_change=False)
    g = Graph()
    i = g.add_input("i", "int64", ("N", 4))
    finish(g, op(g, "Div", [i, const(g, 3, "int64")]))
    assert_preserves(g, sub_div_to_add_mul, expect_change=False)
