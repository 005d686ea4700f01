"""Full quantized zoo models: the ``int`` export runs in ONNX Runtime bit-identically to intq
(float and raw integer outputs, batch 1 and 16, graph optimizations off and on), and a
sample's output does not depend on its batch."""

from __future__ import annotations

import numpy as np
import pytest

from intq.export import to_onnx
from intq.runtime.executor import bind_inputs, execute

from .parity import LEVELS, assert_identical, op_types, run_levels, session

MODELS = ["mlp", "lenet", "resnet", "mobilenetv2", "efficientnet_lite", "transformer", "crnn",
          "vit"]


def raw_names(graph) -> list[str]:
    producers = graph.producers()
    return [producers[o].inputs[0] if o in producers and producers[o].op == "Dequantize" else o
            for o in graph.outputs]


@pytest.mark.parametrize("name", MODELS)
def test_zoo_model_exports_bit_identically(name: str, quantized_zoo, zoo_batch):
    model, examples = quantized_zoo(name)
    graph = model.graph
    exported, raw = to_onnx(graph), to_onnx(graph, raw=True)
    assert not op_types(exported) & {"ConvInteger", "MatMulInteger", "QLinearConv",
                                     "QLinearMatMul"}
    assert [o.name for o in raw.graph.output] == raw_names(graph)
    sessions = [(session(m, level), is_raw) for m, is_raw in ((exported, False), (raw, True))
                for level in LEVELS]
    batch = zoo_batch(examples, 16)
    first = {}
    for inputs in (tuple(x[:1] for x in batch), batch):
        feeds = dict(zip(graph.inputs, inputs))
        want = model.run(*inputs)
        want_raw = execute(graph, bind_inputs(graph, inputs), outputs=raw_names(graph),
                           fast=True)
        for sess, is_raw in sessions:
            for index, got in enumerate(sess.run(None, feeds)):
                out = raw_names(graph)[index] if is_raw else graph.outputs[index]
                assert_identical(got, want_raw[out] if is_raw else want[index], out)
                first.setdefault((is_raw, index), got[:1])
                assert_identical(got[:1], first[is_raw, index], f"{out} batch independence")


def test_zoo_model_reference_path_agrees(quantized_zoo, zoo_batch):
    """The export also matches intq's int64 reference path, not only the fast one."""
    model, examples = quantized_zoo("transformer")
    inputs = zoo_batch(examples, 4)
    want = model.run(*inputs, fast=False)
    got = run_levels(to_onnx(model), dict(zip(model.graph.inputs, inputs)))
    for outputs in got:
        for g, w in zip(outputs, want):
            assert_identical(g, w)
    assert all(np.isfinite(w).all() for w in want)
