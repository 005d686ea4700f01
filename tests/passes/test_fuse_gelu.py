import math

import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import fuse_gelu

SQRT2 = np.float32(math.sqrt(2.0))


def torch_erf_gelu(g: Graph, x: str, divisor: float = SQRT2) -> str:
    """What torch.onnx exports for F.gelu: Div → Erf → Add 1 → Mul x → Mul 0.5."""
    e = op(g, "Erf", [op(g, "Div", [x, const(g, divisor)])])
    return op(g, "Mul", [op(g, "Mul", [x, op(g, "Add", [e, const(g, 1.0)])]), const(g, 0.5)])


def erf_gelu_half_first(g: Graph, x: str) -> str:
    """0.5 * x * (1 + erf(x * 0.7071))."""
    e = op(g, "Erf", [op(g, "Mul", [const(g, 1 / SQRT2), x])])
    return op(g, "Mul", [op(g, "Mul", [const(g, 0.5), x]), op(g, "Add", [const(g, 1.0), e])])


def erf_gelu_half_times_sum(g: Graph, x: str) -> str:
    """x * ((1 + erf(x / √2)) * 0.5)."""
    e = op(g, "Erf", [op(g, "Div", [x, const(g, SQRT2)])])
    return op(g, "Mul", [x, op(g, "Mul", [op(g, "Add", [e, const(g, 1.0)]), const(g, 0.5)])])


def tanh_gelu(g: Graph, x: str, cube: str = "pow") -> str:
    """0.5 * x * (1 + tanh(√(2/π) * (x + 0.044715 * x³)))."""
    if cube == "pow":
        x3 = op(g, "Pow", [x, const(g, 3.0)])
    else:
        x3 = op(g, "Mul", [op(g, "Mul", [x, x]), x])
    inner = op(g, "Add", [x, op(g, "Mul", [const(g, 0.044715), x3])])
    t = op(g, "Tanh", [op(g, "Mul", [inner, const(g, math.sqrt(2 / math.pi))])])
    return op(g, "Mul", [op(g, "Mul", [x, const(g, 0.5)]), op(g, "Add", [t, const(g, 1.0)])])


def model(build, *args) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 7))
    h = op(g, "MatMul", [x, const(g, np.random.default_rng(0).normal(size=(7, 7)))])
    return finish(g, build(g, h, *args))


@pytest.mark.parametrize("build", [torch_erf_gelu, erf_gelu_half_first, erf_gelu_half_times_sum])
def test_erf_gelu_forms_become_one_gelu(build):
    after = assert_preserves(model(build), fuse_gelu, exact=False)
    assert ops_of(after) == ["Gelu", "MatMul"]
    gelu = next(n for n in after.nodes if n.op == "Gelu")
    assert gelu.attrs["approximate"] == "none"
    assert gelu.outputs == after.outputs


@pytest.mark.parametrize("cube", ["pow", "mul"])
def test_tanh_gelu_becomes_gelu_tanh(cube):
    after = assert_preserves(model(tanh_gelu, cube), fuse_gelu, exact=False)
    assert ops_of(after) == ["Gelu", "MatMul"]
    assert after.nodes[-1].attrs["approximate"] == "tanh"


def test_gelu_like_pattern_with_other_constant_is_left_alone():
    assert_preserves(model(torch_erf_gelu, 1.5), fuse_gelu, expect_change=False)


def test_gelu_whose_intermediate_is_also_an_output_is_left_alone():
    g = model(torch_erf_gelu)
    erf = next(n for n in g.nodes if n.op == "Erf")
    finish(g, g.outputs[0], erf.outputs[0])
    assert_preserves(g, fuse_gelu, expect_change=False)
