import numpy as np
from passcheck import assert_preserves, const, finish, op, ops_of
from test_fuse_gelu import torch_erf_gelu
from test_fuse_layernorm import decomposed

from intq.ir.graph import Graph
from intq.passes import canonicalize

RNG = np.random.default_rng(11)


def test_transformer_block_canonicalizes_to_matmul_layernorm_gelu():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    h = op(g, "Dropout", [decomposed(g, x, gamma=RNG.normal(size=6), beta=RNG.normal(size=6))])
    h = op(g, "Gemm", [h, const(g, RNG.normal(size=(8, 6))), const(g, RNG.normal(size=8))],
           transB=1)
    h = op(g, "Identity", [torch_erf_gelu(g, h)])
    h = op(g, "Clip", [op(g, "Sub", [h, const(g, 0.1)]), const(g, 0.0)])
    y = op(g, "Div", [op(g, "ReduceMean", [h, const(g, [1], "int64")]), const(g, 3.0)])
    after = assert_preserves(finish(g, y), canonicalize, exact=False)
    assert ops_of(after) == ["Add", "Add", "Gelu", "LayerNormalization", "MatMul", "Mul", "Mul",
                             "ReduceSum", "Relu"]
    assert not canonicalize(after)
