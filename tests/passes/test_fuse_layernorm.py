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


def test_middle_axis_is_moved_last_around_the_layernorm():
    gamma = RNG.uniform(0.5, 2, (4, 1))
    after = assert_preserves(model(axes=(1,), gamma=gamma), fuse_layernorm, exact=False)
    assert ops_of(after) == ["LayerNormalization", "Relu", "Transpose", "Transpose"]
    ln = next(n for n in after.nodes if n.op == "LayerNormalization")
    assert ln.attrs["axis"] == 2
    np.testing.assert_allclose(after.constants[ln.inputs[1]], gamma.ravel(), rtol=1e-6)


def moments(g: Graph, x: str, gamma_inside: bool, clamp: str = "relu") -> str:
    """The JAX/TensorFlow spelling over axis 1 of [N, 4, 6]: sums scaled by 1/n without kept
    dims, ``E[x²] - E[x]²`` clamped at zero, statistics reshaped and expanded back, γ folded
    into the reciprocal standard deviation."""
    axis, shape = const(g, [1], "int64"), const(g, [-1, 1, 6], "int64")
    full = op(g, "Shape", [x])
    mean = op(g, "Mul", [op(g, "ReduceSum", [x, axis], keepdims=0), const(g, 0.25)])
    mean_sq = op(g, "Mul", [op(g, "ReduceSum", [op(g, "Mul", [x, x]), axis], keepdims=0),
                            const(g, 0.25)])
    var = op(g, "Sub", [mean_sq, op(g, "Mul", [mean, mean])])
    var = op(g, "Relu", [var]) if clamp == "relu" else op(g, "Max", [const(g, 0.0), var])
    back = [op(g, "Expand", [op(g, "Reshape", [v, shape]), full]) for v in (mean, var)]
    d = op(g, "Sub", [x, back[0]])
    inv = op(g, "Reciprocal", [op(g, "Sqrt", [op(g, "Add", [back[1], const(g, 1e-6)])])])
    gamma = const(g, RNG.uniform(0.5, 2, (1, 4, 1)))
    if gamma_inside:
        return op(g, "Add", [op(g, "Mul", [d, op(g, "Mul", [inv, gamma])]),
                             const(g, RNG.normal(size=(1, 4, 1)))])
    return op(g, "Mul", [op(g, "Mul", [d, inv]), gamma])


@pytest.mark.parametrize("gamma_inside, clamp", [(True, "relu"), (False, "max")])
def test_moments_form_with_reshaped_statistics_becomes_one_node(gamma_inside, clamp):
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 6))
    graph = finish(g, moments(g, op(g, "Relu", [x]), gamma_inside, clamp))
    after = assert_preserves(graph, fuse_layernorm, exact=False)
    assert ops_of(after) == ["LayerNormalization", "Relu", "Transpose", "Transpose"]
    ln = next(n for n in after.nodes if n.op == "LayerNormalization")
    assert ln.attrs["epsilon"] == pytest.approx(1e-6)


def test_look_alikes_are_left_alone():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 6))
    wrong_n = decomposed(g, x)
    scale = next(n for n in g.nodes if n.op == "ReduceMean")
    scale.op = "ReduceSum"       # a sum where the mean belongs
    assert_preserves(finish(g, wrong_n), fuse_layernorm, expect_change=False)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    y = decomposed(g, x)
    d = next(n for n in g.nodes if n.op == "Sub").outputs[0]
    finish(g, y, d)
    assert_preserves(g, fuse_layernorm, expect_change=False)
