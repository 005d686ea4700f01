import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import fuse_l2_norm


def l2_normalized(square: str, extra_user: bool = False) -> Graph:
    """``x / sqrt(sum(x², -1, keepdims))`` with the squares as ``Pow`` or ``Mul``."""
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    squared = (op(g, "Pow", [x, const(g, 2.0)]) if square == "Pow"
               else op(g, "Mul", [x, x]))
    total = op(g, "ReduceSum", [squared, const(g, np.array([-1]))], keepdims=1)
    y = op(g, "Div", [x, op(g, "Sqrt", [total])])
    return finish(g, y, squared) if extra_user else finish(g, y)


@pytest.mark.parametrize("square", ["Pow", "Mul"])
def test_square_sum_root_becomes_reduce_l2(square):
    after = assert_preserves(l2_normalized(square), fuse_l2_norm, exact=False)
    assert ops_of(after) == ["Div", "ReduceL2"]


def test_squares_read_elsewhere_are_left_alone():
    assert_preserves(l2_normalized("Pow", extra_user=True), fuse_l2_norm, expect_change=False)


def test_a_fourth_power_is_not_a_square():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    total = op(g, "ReduceSum", [op(g, "Pow", [x, const(g, 4.0)]), const(g, np.array([-1]))])
    assert_preserves(finish(g, op(g, "Sqrt", [total])), fuse_l2_norm, expect_change=False)
