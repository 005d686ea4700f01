import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import fuse_layernorm

RNG = np.random.default_rng(5)


def decomposed(g: Graph, x: str, axes=(-1,), square="pow", divide="div", gamma=None, beta=None,
               eps=1e-5) -> str:
    axes_c = const(g, list(axes), "int64")
    d = op(g, "Sub", [x, op(g, "ReduceMean", [x, axes_c])])
    sq = op(g, "Pow", [d, const(g, 2.0)]) if square == "pow" else op(g, "Mul", [d, d])
    std = op(g, "Sqrt", [op(g, "Add", [op(g, "ReduceMean", [sq, axes_c]), const(g, eps)])])
    if divide == "div":
        y = op(g, "Div", [d, std])
    else:
        y = op(g, "Mul", [d, op(g, "Reciprocal", [std])])
    if gamma is not None:
        y = op(g, "Mul", [y, const(g, gamma)])
    if beta is not None:
        y = op(g, "Add", [const(g, beta), y])
    return y


def model(**kwargs) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 6))
    return finish(g, decomposed(g, op(g, "Relu", [x]), **kwargs))


@pytest.mark.parametrize("square, divide", [("pow", "div"), ("mul", "div"), ("pow", "recip")])
def test_decomposed_layernorm_with_affine_becomes_one_node(square, divide):
    gamma, beta = RNG.uniform(0.5, 2, 6), RNG.normal(size=6)
    after = assert_preserves(model(square=square, divide=divide, gamma=gamma, beta=beta),
                             fuse_layernorm, exact=False)
    assert ops_of(after) == ["LayerNormalization", "Relu"]
    ln = next(n for n in after.nodes if n.op == "LayerNormalization")
    assert ln.attrs["axis"] == 2 and ln.attrs["epsilon"] == pytest.approx(1e-5)
    np.testing.assert_allclose(after.constants[ln.inputs[1]], gamma, rtol=1e-6)
    assert ln.outputs == after.outputs


def test_layernorm_over_two_trailing_axes_without_affine():
    after = assert_preserves(model(axes=(1, 2)), fuse_layernorm, exact=False)
    ln = next(n for n in after.nodes if n.op == "LayerNormalization")
    assert ln.attrs["axis"] == 1
    np.testing.assert_array_equal(after.constants[ln.inputs[1]], np.ones((4, 6)))


def test_per_row_gamma_stays_a_separate_mul():
    after = assert_preserves(model(gamma=RNG.normal(size=(4, 1))), fuse_layernorm, exact=False)
    assert ops_of(after) == ["LayerNormalization", "Mul", "Relu"]


def test_look_alikes_are_left_alone():
    assert_preserves(model(axes=(1,)), fuse_layernorm, expect_change=False)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    y = decomposed(g, x)
    d = next(n for n in g.nodes if n.op == "Sub").outputs[0]
    finish(g, y, d)
    assert_preserves(g, fuse_layernorm, expect_change=False)
