import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

import intq
from intq.ir.graph import Graph
from intq.passes import isolate_softmax_masks, prepare
from intq.runtime.executor import execute

CAUSAL = np.triu(np.ones((4, 4), bool), 1)
CAUSAL_8 = np.triu(np.ones((8, 8), bool), 1)


def masked_softmax(mask: np.ndarray, extra_user: bool = False) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 4, 4))
    scores = op(g, "Add", [x, const(g, mask)])
    y = op(g, "Softmax", [scores], axis=-1)
    return finish(g, y, scores) if extra_user else finish(g, y)


@pytest.mark.parametrize("fill", [-1e4, -1e9, -3.4028235e38, -np.inf])
def test_additive_mask_becomes_where_before_softmax(fill):
    after = assert_preserves(masked_softmax(np.where(CAUSAL, fill, 0.0)), isolate_softmax_masks)
    assert ops_of(after) == ["Softmax", "Where"]
    where = next(n for n in after.nodes if n.op == "Where")
    np.testing.assert_array_equal(after.constants[where.inputs[0]], ~CAUSAL)
    assert after.constants[where.inputs[2]] == np.finfo(np.float32).min


def test_finite_part_of_the_constant_stays_an_add():
    bias = np.arange(16, dtype=np.float32).reshape(4, 4) / 10
    after = assert_preserves(masked_softmax(np.where(CAUSAL, -1e9, bias)),
                             isolate_softmax_masks)
    assert ops_of(after) == ["Add", "Softmax", "Where"]
    add = next(n for n in after.nodes if n.op == "Add")
    np.testing.assert_array_equal(after.constants[add.inputs[1]], np.where(CAUSAL, 0, bias))


def test_no_mask_values_or_shared_scores_are_left_alone():
    assert_preserves(masked_softmax(np.full((4, 4), -10.0)), isolate_softmax_masks,
                     expect_change=False)
    assert_preserves(masked_softmax(np.where(CAUSAL, -1e9, 0.0), extra_user=True),
                     isolate_softmax_masks, expect_change=False)


def causal_transformer():
    """The zoo transformer with a causal mask constant added to its attention scores."""
    torch = pytest.importorskip("torch")
    from intq import zoo
    from intq.zoo.transformer import SelfAttention

    class CausalAttention(SelfAttention):
        def __init__(self, source: SelfAttention, length: int) -> None:
            super().__init__(source.q.in_features, source.heads)
            self.load_state_dict(source.state_dict())
            self.register_buffer("mask", torch.triu(torch.full((length, length),
                                                               float("-inf")), 1))

        def forward(self, x):
            n, t, d = x.shape

            def split_heads(y):
                return y.reshape(n, t, self.heads, d // self.heads).transpose(1, 2)

            q, k, v = split_heads(self.q(x)), split_heads(self.k(x)), split_heads(self.v(x))
            scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale + self.mask
            weights = torch.softmax(scores, dim=-1)
            return self.proj(torch.matmul(weights, v).transpose(1, 2).reshape(n, t, d))

    model = zoo.build("transformer")
    for block in model.blocks:
        block.attn = CausalAttention(block.attn, 8)
    return model.eval()


def test_causal_zoo_transformer_keeps_its_outputs_and_quantizes_with_exact_zeros():
    module = causal_transformer()
    tokens = module.example_inputs(16, seed=1)[0]
    float_model = intq.from_torch(module, (tokens[:2],), dynamic_axes={})
    graph = float_model.graph.copy()
    prepare(graph)
    before = graph.copy()
    assert isolate_softmax_masks(graph)
    assert ops_of(graph).count("Where") == 2
    x = tokens.numpy()
    want = module(tokens).detach().numpy()
    got = execute(graph, {"input": x})["output"]
    np.testing.assert_allclose(got, execute(before, {"input": x})["output"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)

    calib = np.concatenate([module.example_inputs(64, seed=s)[0].numpy() for s in range(2)])
    quantized = intq.quantize(float_model, calib, progress=False)
    assert quantized.exact
    softmax = [n for n in quantized.graph.nodes if n.op == "IntSoftmax"]
    assert len(softmax) == 2 and all(len(n.inputs) == 2 for n in softmax)
    seen = {}
    execute(quantized.graph, {"input": x}, on_value=seen.__setitem__)
    for node in softmax:
        probabilities = seen[node.outputs[0]]
        assert (probabilities[..., CAUSAL_8] == 0).all()
        assert (probabilities[..., ~CAUSAL_8] > 0).any()
    out = quantized.run(x)[0]
    cosine = float((out * want).sum() / np.linalg.norm(out) / np.linalg.norm(want))
    print(f"\ncausal transformer: cosine(int8, float) = {cosine:.5f}")
    assert cosine > 0.99


def input_masked_softmax(mask_dtype: str = "int64") -> Graph:
    """``Softmax(x + (1 - Cast(mask)[:, None, None, :]) * finfo.min)``, as transformers
    exports write the attention mask."""
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 4, 4))
    mask = g.add_input("mask", mask_dtype, ("N", 4))
    m = op(g, "Cast", [mask], to="float32")
    m = op(g, "Unsqueeze", [op(g, "Unsqueeze", [m, const(g, np.array([1]))]),
                            const(g, np.array([2]))])
    inverted = op(g, "Sub", [const(g, np.array(1.0, np.float32)), m])
    additive = op(g, "Mul", [inverted, const(g, np.array(np.finfo(np.float32).min,
                                                         np.float32))])
    return finish(g, op(g, "Softmax", [op(g, "Add", [x, additive])], axis=-1))


@pytest.mark.parametrize("mask_dtype", ["int64", "bool"])
def test_an_input_mask_becomes_an_integer_keep_mask(mask_dtype):
    graph = input_masked_softmax(mask_dtype)
    after = graph.copy()
    assert isolate_softmax_masks(after)
    assert "Sub" not in ops_of(after) and "Mul" not in ops_of(after)
    assert {"Greater", "Where"} <= set(ops_of(after))
    rng = np.random.default_rng(0)
    mask = (rng.random((3, 4)) < 0.6).astype(mask_dtype)
    mask[:, 0] = 1
    feeds = {"x": rng.normal(size=(3, 2, 4, 4)).astype(np.float32), "mask": mask}
    out = graph.outputs[0]
    np.testing.assert_array_equal(execute(after, feeds)[out], execute(graph, feeds)[out])


def test_an_input_mask_without_a_huge_factor_is_left_alone():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    mask = g.add_input("mask", "int64", ("N", 4))
    additive = op(g, "Mul", [op(g, "Sub", [const(g, np.array(1.0, np.float32)),
                                           op(g, "Cast", [mask], to="float32")]),
                             const(g, np.array(-5.0, np.float32))])
    graph = finish(g, op(g, "Softmax", [op(g, "Add", [x, additive])], axis=-1))
    assert not isolate_softmax_masks(graph.copy())
