"""CumSum becomes IntCumSum + one Requantize within one output step of the float op; an axis
of dynamic length stays float."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def cumsum_graph(shape=("N", 3, 7), axis=2, **attrs) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", shape)
    return finish(g, op(g, "CumSum", [x, np.array(axis)], **attrs))


@pytest.mark.parametrize("attrs", [{}, {"exclusive": 1}, {"reverse": 1},
                                   {"exclusive": 1, "reverse": 1}])
def test_is_an_exact_running_sum_and_one_rounding(attrs):
    g, x = cumsum_graph(**attrs), normal(8, 3, 7, seed=1)
    model = quantize(g, x)
    assert integer_ops(model) == ["IntCumSum", "Requantize"]
    assert float_values_inside(model) == [] and model.exact
    assert_close(model, g, x, steps=1)


def test_a_dynamic_length_stays_float():
    model = quantize(cumsum_graph(shape=("N", 3, "T")), normal(4, 3, 7))
    assert "IntCumSum" not in integer_ops(model) and not model.exact
