"""Masked mean pooling (IntDiv) and L2 normalization (IntL2Normalize) of a BERT sentence
encoder: integer-only, exact, close to float, and bit-identical in ONNX Runtime."""

from __future__ import annotations

import numpy as np
import pytest

import intq
from intq.ir.graph import Graph
from intq.runtime.cost import graph_cost

from ..graphs import finish, integer_ops, normal, op, quantize

torch = pytest.importorskip("torch")
from intq.frontends.torch_import import export_onnx_bytes  # noqa: E402
from intq.zoo.bert import BertConfig, SentenceEncoder  # noqa: E402

TINY = BertConfig(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  intermediate_size=64, max_position_embeddings=16)
LENGTH = 10


def _tokens(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids and 0/1 masks of ``n`` sentences of 3..LENGTH tokens, padded with 0."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, LENGTH + 1, n)
    mask = (np.arange(LENGTH) < lengths[:, None]).astype(np.int64)
    return rng.integers(1, TINY.vocab_size, (n, LENGTH)) * mask, mask


def _encoder(tmp_path, normalize: bool = True) -> intq.FloatModel:
    torch.manual_seed(0)
    module = SentenceEncoder(TINY, normalize).eval()
    ids, mask = (torch.from_numpy(a) for a in _tokens(2, 0))
    data = export_onnx_bytes(module, (ids, mask), input_names=list(module.input_names),
                             output_names=["output"], dynamic_axes=module.dynamic_axes())
    path = tmp_path / "encoder.onnx"
    path.write_bytes(data)
    return intq.load_onnx(path)


def _quantized(model: intq.FloatModel) -> intq.QuantizedModel:
    shapes = {name: ["N", LENGTH] for name in ("input_ids", "attention_mask")}
    return intq.quantize(model, _tokens(64, 1), {"input_shapes": shapes}, progress=False)


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.mark.parametrize("normalize", [True, False])
def test_a_sentence_encoder_is_integer_only_and_close_to_float(tmp_path, normalize):
    model = _encoder(tmp_path, normalize)
    qmodel = _quantized(model)
    ops = {n.op for n in qmodel.graph.nodes}
    assert qmodel.exact and "IntDiv" in ops and ("IntL2Normalize" in ops) == normalize
    ids, mask = _tokens(16, 2)
    assert _cosine(qmodel.run(ids, mask)[0], model.run(ids, mask)[0]).min() > 0.99
    costs = {c.op: c for c in graph_cost(qmodel.graph).nodes}
    assert costs["IntDiv"].ops == 8 * TINY.hidden_size and costs["IntDiv"].width == 64


def test_the_encoder_export_is_bit_identical(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from intq.export import to_onnx

    qmodel = _quantized(_encoder(tmp_path))
    ids, mask = _tokens(8, 3)
    session = ort.InferenceSession(to_onnx(qmodel.graph).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    assert np.array_equal(got, qmodel.run(ids, mask)[0])


def test_padding_never_changes_an_integer_embedding(tmp_path):
    qmodel = _quantized(_encoder(tmp_path))
    ids, mask = _tokens(4, 4)
    noisy = np.where(mask == 1, ids, 7)
    assert np.array_equal(qmodel.run_int(noisy, mask)[0], qmodel.run_int(ids, mask)[0])


def test_div_of_two_activations_is_one_int_div():
    g = Graph()
    a, b = g.add_input("a", "float32", ("N", 8)), g.add_input("b", "float32", ("N", 1))
    finish(g, op(g, "Div", [a, b]))
    data = (normal(64, 8, seed=1), np.abs(normal(64, 1, seed=2)) + 0.5)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntDiv"] and model.exact
    want = data[0] / data[1]
    assert np.abs(model.run(*data)[0] - want).max() < 0.05 * np.abs(want).max()


def test_a_divisor_that_can_be_negative_stays_float():
    g = Graph()
    a, b = g.add_input("a", "float32", ("N", 8)), g.add_input("b", "float32", ("N", 1))
    finish(g, op(g, "Div", [a, b]))
    assert not quantize(g, (normal(64, 8, seed=1), normal(64, 1, seed=2))).exact


def test_a_lone_reduce_l2_stays_float():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 8))
    finish(g, op(g, "ReduceL2", [x, np.array([1])], keepdims=1))
    assert not quantize(g, normal(16, 8)).exact


def test_the_square_sum_root_form_is_one_int_l2_normalize():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 12))
    total = op(g, "ReduceSum", [op(g, "Mul", [x, x]), np.array([1])], keepdims=1)
    finish(g, op(g, "Div", [x, op(g, "Sqrt", [total])]))
    data = normal(64, 12, seed=3)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntL2Normalize"] and model.exact
    want = data / np.linalg.norm(data, axis=1, keepdims=True)
    assert np.abs(model.run(data)[0] - want).max() < 0.03
