import numpy as np
import pytest

from intq.errors import InputError
from intq.ir.graph import Graph
from intq.ops import infer_shapes
from intq.runtime.executor import bind_inputs, execute, run


def two_input_graph() -> Graph:
    g = Graph("g")
    g.add_input("a", "float32", ("N", 3))
    g.add_input("b", "float32", ("N", 3))
    g.add_node("Add", ["a", "b"], ["s"])
    g.add_node("Relu", ["s"], ["y"])
    g.outputs = ["y"]
    infer_shapes(g)
    return g


def test_run_and_hooks():
    g = two_input_graph()
    a = np.array([[1, -2, 3]], np.float32)
    seen = {}
    out = execute(g, bind_inputs(g, [a, a]), on_value=lambda n, v: seen.setdefault(n, v))
    np.testing.assert_array_equal(out["y"], [[2, 0, 6]])
    assert set(seen) == {"s", "y"}


def test_intermediate_feeds_skip_producers():
    g = two_input_graph()
    out = execute(g, {"s": np.array([[-1, 1, 2]], np.float32)})
    np.testing.assert_array_equal(out["y"], [[0, 1, 2]])


def test_float64_inputs_are_cast():
    g = two_input_graph()
    (y,) = run(g, np.ones((2, 3)), np.ones((2, 3)))
    assert y.dtype == np.float32


@pytest.mark.parametrize("args, match", [
    ([np.ones((2, 3), np.float32)], "takes 2 input"),
    ([np.ones((2, 4), np.float32)] * 2, r"axis 1 must be 3"),
    ([np.ones((2, 3, 1), np.float32)] * 2, "expects rank 2"),
    ([np.ones((2, 3), np.float32), np.ones((5, 3), np.float32)], "dimension 'N' is 2"),
    ([np.ones((2, 3), bool)] * 2, "dtype bool"),
])
def test_bad_inputs_name_the_input(args, match):
    with pytest.raises(InputError, match=match) as info:
        run(two_input_graph(), *args)
    assert "\n" not in str(info.value)


def test_named_feeds():
    g = two_input_graph()
    with pytest.raises(InputError, match="missing"):
        bind_inputs(g, {"a": np.ones((1, 3))})
