import numpy as np
import pytest
from passcheck import const, finish, op, random_feeds

from intq.errors import InputError
from intq.ir.graph import Graph
from intq.passes import PassOptionError, attach_input_shapes
from intq.runtime.executor import execute


def two_input_model() -> Graph:
    g = Graph()
    a = g.add_input("a", "float32", ("N", 3, "L"))
    b = g.add_input("b", "float32", ("N", 3, 1))
    y = op(g, "Add", [a, b])
    return finish(g, op(g, "ReduceSum", [y, const(g, [2], "int64")], keepdims=0))


def test_shapes_become_static_and_symbols_bind_in_every_input():
    g = two_input_model()
    after = g.copy()
    assert attach_input_shapes(after, shapes={"a": (2, 3, 5)})
    assert after.values["b"].shape == (2, 3, 1)
    assert after.values[after.outputs[0]].shape == (2, 3)
    assert not attach_input_shapes(after, shapes={"a": [2, 3, 5]})
    feeds = random_feeds(after)
    np.testing.assert_array_equal(execute(after, feeds)[after.outputs[0]],
                                  execute(g, feeds)[g.outputs[0]])


def test_partly_symbolic_shapes_are_allowed():
    g = two_input_model()
    assert attach_input_shapes(g, shapes={"a": ("batch", 3, 7)})
    assert g.values[g.outputs[0]].shape == ("batch", 3)


@pytest.mark.parametrize("shapes, message", [
    ({"a": (2, 4, 5)}, "axis 1 is 3"),
    ({"a": (2, 3)}, "rank 3"),
    ({"a": (2, 3, 5), "b": (4, 3, 1)}, "'N' is given as both 2 and 4"),
])
def test_shapes_contradicting_the_model_are_one_line_errors(shapes, message):
    g = two_input_model()
    before = {n: v.shape for n, v in g.values.items()}
    with pytest.raises(InputError, match=message) as info:
        attach_input_shapes(g, shapes=shapes)
    assert "\n" not in str(info.value)
    assert {n: v.shape for n, v in g.values.items()} == before


def test_contradiction_found_by_shape_inference_restores_the_graph():
    g = Graph()
    x = g.add_input("x", "float32", None)
    finish(g, op(g, "MatMul", [x, const(g, [[1.0], [2.0]])]))
    with pytest.raises(InputError, match="contradict the model: node 'matmul'") as info:
        attach_input_shapes(g, shapes={"x": (4, 3)})
    assert "\n" not in str(info.value)
    assert g.values["x"].shape is None
    assert attach_input_shapes(g, shapes={"x": (4, 2)})
    assert g.values[g.outputs[0]].shape == (4, 1)


def test_unknown_input_name():
    with pytest.raises(PassOptionError, match="'c' is not a model input"):
        attach_input_shapes(two_input_model(), shapes={"c": (1,)})
