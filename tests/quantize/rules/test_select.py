"""ArgMax, ArgMin and TopK run on the integers themselves: the indices are those of the float
op on the grid values (order is preserved at a positive scale, ties broken as ONNX breaks
them) and TopK's values are grid values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ir.graph import Graph
from intq.runtime.executor import run

from ..graphs import finish, float_values_inside, integer_ops, normal, on_grid, op, quantize


def select_graph(op_type: str, **attrs) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 7))
    if op_type == "TopK":
        return finish(g, *op(g, "TopK", [x, np.array([3])], outputs=2, **attrs))
    return finish(g, op(g, op_type, [x], **attrs))


CASES = [("ArgMax", {"axis": 2}), ("ArgMin", {"axis": 1, "keepdims": 0}),
         ("ArgMax", {"axis": 2, "select_last_index": 1}),
         ("ArgMin", {"axis": 2, "select_last_index": 1}),
         ("TopK", {"axis": 2}), ("TopK", {"axis": -1, "largest": 0})]


@pytest.mark.parametrize("op_type, attrs", CASES)
def test_runs_on_integers(op_type, attrs):
    model = quantize(select_graph(op_type, **attrs), normal(8, 3, 7))
    assert integer_ops(model) == [op_type]
    assert float_values_inside(model) == [] and model.exact


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CASES), st.integers(0, 2**16), st.sampled_from([0.0, 1.0]))
def test_indices_are_the_float_ops_on_grid_values(case, seed, shift):
    """Coarse data (few distinct grid values) makes ties common; they must be broken alike."""
    op_type, attrs = case
    graph = select_graph(op_type, **attrs)
    x = np.round(normal(6, 3, 7, seed=seed) * 2) / 2 + shift
    model = quantize(graph, x)
    snapped = on_grid(x, model.input_quant[0])
    want, got = run(graph, snapped), model.run(snapped)
    if op_type == "TopK":
        assert np.array_equal(got[1], want[1])
        np.testing.assert_allclose(got[0], want[0], rtol=0, atol=1e-6)
    else:
        assert got[0].dtype == np.int64 and np.array_equal(got[0], want[0])
