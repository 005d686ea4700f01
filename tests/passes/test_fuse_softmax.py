import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import fuse_softmax


def decomposed(g: Graph, z: str, axis: int, shift: str, kept: bool) -> str:
    """``e / sum(e)``, ``e = exp(z - max(z))`` (``shift``: "max", "clamped" as JAX exports
    it, or "none"), statistics with kept dims or reshaped and expanded back."""
    axes = const(g, [axis], "int64")
    shape = op(g, "Shape", [z])

    def back(v: str) -> str:
        if kept:
            return v
        target = const(g, [-1, 1] if axis == 1 else [1, -1], "int64")
        return op(g, "Expand", [op(g, "Reshape", [v, target]), shape])

    if shift != "none":
        top = op(g, "ReduceMax", [z, axes], keepdims=int(kept))
        if shift == "clamped":
            top = op(g, "Max", [const(g, -np.inf), top])
        z = op(g, "Sub", [z, back(top)])
    e = op(g, "Exp", [z])
    return op(g, "Div", [e, back(op(g, "ReduceSum", [e, axes], keepdims=int(kept)))])


def model(axis=1, shift="max", kept=True) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 7))
    return finish(g, decomposed(g, op(g, "Relu", [x]), axis, shift, kept))


@pytest.mark.parametrize("shift, kept", [("max", True), ("clamped", False), ("none", True),
                                         ("max", False)])
def test_decomposed_softmax_becomes_one_node(shift, kept):
    after = assert_preserves(model(shift=shift, kept=kept), fuse_softmax, exact=False)
    assert ops_of(after) == ["Relu", "Softmax"]
    softmax = next(n for n in after.nodes if n.op == "Softmax")
    assert softmax.attrs["axis"] == 1 and softmax.outputs == after.outputs


def test_softmax_over_the_batch_axis_keeps_its_axis():
    after = assert_preserves(model(axis=0, kept=True), fuse_softmax, exact=False)
    assert next(n for n in after.nodes if n.op == "Softmax").attrs["axis"] == 0


def test_look_alikes_are_left_alone():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 7))
    y = decomposed(g, x, 1, "max", True)
    e = next(n for n in g.nodes if n.op == "Exp").outputs[0]
    assert_preserves(finish(g, y, e), fuse_softmax, expect_change=False)   # e read elsewhere
    g = Graph()
    x = g.add_input("x", "float32", ("N", 7))
    other = g.add_input("w", "float32", ("N", 7))
    e = op(g, "Exp", [x])
    total = op(g, "ReduceSum", [op(g, "Exp", [other]), const(g, [1], "int64")])
    assert_preserves(finish(g, op(g, "Div", [e, total])), fuse_softmax, expect_change=False)
