import numpy as np

from intq.ir.graph import Graph
from intq.runtime.executor import execute

from ..graphs import finish, float_values_inside, normal, op, quantize


def one_hot_graph(dtype: str) -> Graph:
    """``(ids == classes) -> float`` times a weight: magika's one-hot input."""
    g = Graph()
    ids = g.add_input("ids", dtype, ("N", 6, 1))
    hot = op(g, "Cast", [op(g, "Equal", [ids, np.arange(4, dtype=dtype)])], to="float32")
    return finish(g, op(g, "MatMul", [hot, normal(4, 3, seed=1)]))


def test_one_hot_cast_is_integer_at_scale_one():
    graph = one_hot_graph("uint8")
    ids = np.random.default_rng(0).integers(0, 5, (8, 6, 1)).astype(np.uint8)
    model = quantize(graph, ids)
    cast = next(n for n in model.graph.nodes if n.op == "Cast")
    quant = model.graph.values[cast.outputs[0]].quant
    assert (cast.attrs["to"], quant.scale, quant.bits, quant.signed) == ("uint8", 1.0, 8, False)
    assert float_values_inside(model) == [] and model.exact
    want = execute(graph, {"ids": ids})[graph.outputs[0]]
    got = model.run(ids)[0]
    assert np.abs(got - want).max() <= 0.02 * np.abs(want).max()


def _wide_cast_graph() -> Graph:
    g = Graph()
    ids = g.add_input("ids", "int64", ("N", 4))
    return finish(g, op(g, "MatMul", [op(g, "Cast", [ids], to="float32"),
                                      normal(4, 3, seed=1)]))


def test_a_wide_integer_seen_in_a_small_range_is_clamped_to_it_at_scale_one():
    graph = _wide_cast_graph()
    mask = np.random.default_rng(0).integers(0, 2, (8, 4))
    model = quantize(graph, mask)
    cast = next(n for n in model.graph.nodes if n.op == "Cast")
    quant = model.graph.values[cast.outputs[0]].quant
    assert (cast.attrs["to"], quant.scale) == ("uint8", 1.0) and model.exact
    assert np.array_equal(model.run_int(np.array([[300, -4, 1, 0]]))[0],
                          model.run_int(np.array([[255, 0, 1, 0]]))[0])


def test_a_cast_of_wide_integers_stays_float():
    g = Graph()
    ids = g.add_input("ids", "int32", ("N", 4))
    graph = finish(g, op(g, "MatMul", [op(g, "Cast", [ids], to="float32"),
                                       normal(4, 3, seed=1)]))
    model = quantize(graph, np.random.default_rng(0).integers(0, 100_000, (8, 4)).astype(
        np.int32))
    cast = next(n for n in model.graph.nodes if n.op == "Cast")
    assert model.graph.values[cast.outputs[0]].dtype == "float32"
