"""LogSoftmax becomes one IntLogSoftmax within one output step of the float op."""

from __future__ import annotations

import pytest

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


@pytest.mark.parametrize("axis", [-1, 1])
def test_is_integer_and_within_one_step(axis):
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 7))
    g = finish(g, op(g, "LogSoftmax", [x], axis=axis))
    data = normal(8, 3, 7, seed=1, scale=3)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntLogSoftmax"]
    assert float_values_inside(model) == [] and model.exact
    assert_close(model, g, data, steps=1)
