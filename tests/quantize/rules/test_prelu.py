from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ir.graph import Graph
from intq.quant.fixedpoint import int_range

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def prelu_graph(slope: np.ndarray) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 3, 3))
    return finish(g, op(g, "PRelu", [x, slope]))


def test_per_channel_prelu_is_integer_and_close():
    slope = np.array([0.1, 0.25, -0.5, 2.0], np.float32).reshape(4, 1, 1)
    g, x = prelu_graph(slope), normal(32, 4, 3, 3, seed=5)
    model = quantize(g, x)
    assert integer_ops(model) == ["Relu", "Min", "IntMul", "IntAdd"]
    assert float_values_inside(model) == [] and model.exact
    assert_close(model, g, x, steps=3)


def test_a_scalar_slope_is_a_lookup_table():
    model = quantize(prelu_graph(np.array([0.2], np.float32)), normal(8, 4, 3, 3, seed=5))
    assert integer_ops(model) == ["IntLUT"]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=4, max_size=4),
       st.integers(0, 2**16))
def test_each_output_is_one_rounding_of_the_exact_product(slopes, seed):
    slope = np.array(slopes, np.float32).reshape(4, 1, 1)
    model = quantize(prelu_graph(slope), normal(8, 4, 3, 3, seed=seed))
    graph = model.graph
    add = next(n for n in graph.nodes if n.op == "IntAdd")
    mul = next(n for n in graph.nodes if n.op == "IntMul")
    a_q = graph.constants[mul.inputs[1]].reshape(-1).astype(object)
    (m_p, m_n), k = add.attrs["multipliers"], add.attrs["shift"]
    q = np.random.default_rng(seed).integers(-128, 128, (2, 4, 3, 3)).astype(np.int8)
    got = model.run_int(q)[0]
    lo, hi = int_range(add.attrs["bits"], bool(add.attrs["signed"]))
    for index in np.ndindex(q.shape):
        v = int(q[index])
        exact = Fraction(m_p * v if v >= 0 else m_n * v * int(a_q[index[1]]), 2**k)
        want = min(max(int(np.floor(exact + Fraction(1, 2))), lo), hi)
        assert int(got[index]) == want
