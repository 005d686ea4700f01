"""``format="qdq"``: valid QuantizeLinear/DequantizeLinear ONNX that ONNX Runtime runs with
outputs close to intq's (in units of the output scale), per-channel weights, no integer ops
left but the lookup-table Gather."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

import intq
from intq.errors import IntqError
from intq.export import to_onnx
from intq.ir.graph import QuantInfo
from intq.quantize import QuantConfig
from intq.runtime.executor import execute

from .parity import GraphBuilder, assert_identical, assert_parity, op_types, run_levels, session

STEPS = {  # largest |ORT - intq| / output scale allowed at each optimization level
    ort.GraphOptimizationLevel.ORT_DISABLE_ALL: 2,
    ort.GraphOptimizationLevel.ORT_ENABLE_BASIC: 2,
    ort.GraphOptimizationLevel.ORT_ENABLE_ALL: 32,
}


@pytest.mark.parametrize("name", ["lenet", "resnet", "transformer"])
def test_qdq_runs_close_to_intq(name: str, quantized_zoo, zoo_batch):
    model, examples = quantized_zoo(name)
    exported = to_onnx(model.graph, format="qdq")
    inputs = zoo_batch(examples, 16)
    want = model.run(*inputs)
    scales = [q.scale for q in model.output_quant]
    for level, steps in STEPS.items():
        got = session(exported, level).run(None, dict(zip(model.graph.inputs, inputs)))
        for g, w, scale in zip(got, want, scales):
            assert g.shape == w.shape and g.dtype == w.dtype
            assert np.abs(g.astype(np.float64) - w).max() / scale <= steps * (1 + 1e-6), level


def test_qdq_structure(quantized_zoo):
    model, _ = quantized_zoo("lenet")
    exported = to_onnx(model.graph, format="qdq")
    ops = op_types(exported)
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "MatMul"} <= ops
    assert not ops & {"Mod", "Div", "Where", "ConvInteger", "MatMulInteger"}
    producers = {o: n for n in exported.graph.node for o in n.output}
    for node in exported.graph.node:
        if node.op_type in ("Conv", "MatMul"):
            sources = [producers[i].op_type for i in node.input[:2]]
            assert sources == ["DequantizeLinear", "DequantizeLinear"]
            weight_dq = producers[node.input[1]]
            axis = {a.name: a.i for a in weight_dq.attribute}.get("axis")
            assert axis == (0 if node.op_type == "Conv" else 1)
    assert "NOT bit-exact" in exported.graph.doc_string


def test_qdq_of_transformer_keeps_float_softmax_and_layernorm(quantized_zoo):
    model, _ = quantized_zoo("transformer")
    ops = op_types(to_onnx(model.graph, format="qdq"))
    assert {"Softmax", "LayerNormalization"} <= ops
    assert not ops & {"Mod", "Div"}


def test_qdq_rejects_raw(quantized_zoo):
    model, _ = quantized_zoo("mlp")
    with pytest.raises(IntqError, match="raw integer outputs need format 'int'"):
        to_onnx(model.graph, format="qdq", raw=True)
    onnx.checker.check_model(to_onnx(model.graph, format="qdq"), full_check=True)


def test_qdq_integer_outputs_stay_integers():
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 1, 4, 4))
    q = g.node("Quantize", [x], scale=0.05)
    pooled = g.node("MaxPool", [q], kernel_shape=[2, 2], strides=[2, 2])
    graph = g.finish(pooled)
    for name in (q, pooled):
        graph.values[name].quant = QuantInfo(8, True, 0.05)
    exported = to_onnx(graph, format="qdq")
    feeds = {"x": np.linspace(-9, 9, 32, dtype=np.float32).reshape(2, 1, 4, 4)}
    want = execute(graph, feeds)[pooled]
    for got, in run_levels(exported, feeds):
        assert_identical(got, want)


def test_pooling_table_product_softmax_both_formats():
    """AveragePool, Sigmoid (lookup table), a product of activations, Reshape, Softmax and
    ReduceMean, quantized by intq: bit-exact as ``int``; as ``qdq`` within one step of the
    softmax grid (float Softmax there replaces I-BERT's) plus one output step."""
    g = GraphBuilder("mix")
    x = g.input("x", "float32", ("N", 4, 6, 6))
    pooled = g.node("AveragePool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                    count_include_pad=1)
    gated = g.node("Mul", [g.node("Sigmoid", [pooled]), x])
    rows = g.node("Reshape", [gated, g.const("shape", np.array([0, 4, 36]))])
    probs = g.node("Softmax", [rows], axis=-1)
    graph = g.finish(g.node("ReduceMean", [probs, g.const("axes", np.array([1]))], keepdims=0))
    data = np.random.default_rng(0).normal(0, 1, (32, 4, 6, 6)).astype(np.float32)
    model = intq.quantize(graph, data, QuantConfig.from_dict({"calibration": {"method": "minmax"}}),
                          progress=False)
    assert {"IntSumPool", "IntLUT", "IntMul", "IntSoftmax", "IntReduceSum"} <= set(
        model.graph.op_histogram())
    feeds = {"x": data[:8]}
    assert_parity(model.graph, feeds)
    want = model.run(data[:8])[0]
    scale = model.output_quant[0].scale
    for (got,) in run_levels(to_onnx(model, format="qdq"), feeds):
        assert np.abs(got - want).max() <= 2.0**-8 + scale
