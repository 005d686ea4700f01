import numpy as np
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import eliminate_dead_code


def test_dead_nodes_and_constants_are_dropped_and_duplicates_merged():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3))
    a = op(g, "Mul", [x, const(g, [1.0, 2.0, 3.0])])
    b = op(g, "Mul", [x, const(g, [1.0, 2.0, 3.0])])
    op(g, "Neg", [op(g, "Exp", [a])])
    const(g, np.zeros(100))
    finish(g, op(g, "Add", [a, b]))
    after = assert_preserves(g, eliminate_dead_code)
    assert ops_of(after) == ["Add", "Mul", "Mul"]
    assert len(after.constants) == 1
    assert not eliminate_dead_code(after)


def test_constants_differing_in_dtype_or_shape_are_not_merged():
    g = Graph()
    x = g.add_input("x", "float32", (2,))
    y = op(g, "Add", [op(g, "Add", [x, const(g, [1.0, 1.0])]), const(g, [[1.0, 1.0]])])
    i = g.add_input("i", "int32", (2,))
    finish(g, y, op(g, "Add", [i, const(g, [1, 1], "int32")]))
    after = assert_preserves(g, eliminate_dead_code, expect_change=False)
    assert len(after.constants) == 3
