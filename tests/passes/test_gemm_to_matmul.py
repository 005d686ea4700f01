import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import gemm_to_matmul

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("trans_b, alpha, beta", [(1, 1.0, 1.0), (0, 0.5, 2.0), (1, 2.0, 0.0)])
def test_gemm_with_constant_weight_becomes_matmul_add(trans_b, alpha, beta):
    g = Graph()
    x = g.add_input("x", "float32", ("N", 5))
    w = const(g, RNG.normal(size=(4, 5) if trans_b else (5, 4)))
    y = op(g, "Gemm", [x, w, const(g, RNG.normal(size=4))], transB=trans_b, alpha=alpha, beta=beta)
    after = assert_preserves(finish(g, y), gemm_to_matmul, exact=alpha == 1.0)
    assert ops_of(after) == (["Add", "MatMul"] if beta else ["MatMul"])
    matmul = next(n for n in after.nodes if n.op == "MatMul")
    weight = after.constants[matmul.inputs[1]]
    expected = g.constants[w].T if trans_b else g.constants[w]
    np.testing.assert_allclose(weight, expected * alpha, rtol=1e-7)


def test_gemm_with_runtime_operands_gets_transpose_and_scale_nodes():
    g = Graph()
    a = g.add_input("a", "float32", (5, "N"))
    b = g.add_input("b", "float32", (4, 5))
    c = g.add_input("c", "float32", ("N", 4))
    y = op(g, "Gemm", [a, b, c], transA=1, transB=1, alpha=0.25, beta=3.0)
    after = assert_preserves(finish(g, y), gemm_to_matmul, exact=False)
    assert ops_of(after) == ["Add", "MatMul", "Mul", "Mul", "Transpose", "Transpose"]


def test_gemm_without_bias_is_a_bare_matmul_keeping_the_output_name():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 5))
    y = op(g, "Gemm", [x, const(g, RNG.normal(size=(5, 4)))])
    after = assert_preserves(finish(g, y), gemm_to_matmul)
    assert ops_of(after) == ["MatMul"] and after.nodes[0].outputs == [y]
