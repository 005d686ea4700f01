"""IntZeroInsert (and the IntConv after it, i.e. an integer ConvTranspose) in ONNX Runtime
equals intq's: every stride, negative and positive pads, symbolic spatial sizes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import intq
from intq.runtime.executor import execute

from ..parity import GraphBuilder, assert_parity, op_types


@settings(max_examples=25, deadline=None)
@given(rank=st.sampled_from([1, 2]), strides=st.lists(st.integers(1, 3), min_size=2, max_size=2),
       pads=st.lists(st.integers(-1, 2), min_size=4, max_size=4),
       dtype=st.sampled_from(["int8", "uint8"]), seed=st.integers(0, 2**16))
def test_zero_insert_then_conv_parity(rank: int, strides: list, pads: list, dtype: str,
                                      seed: int):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max, (2, 4, *[4] * rank), endpoint=True).astype(dtype)
    g = GraphBuilder()
    xi = g.input("x", dtype, ("N", 4, *["H", "W"][:rank]))
    spread = g.node("IntZeroInsert", [xi], strides=strides[:rank],
                    pads=pads[:rank] + pads[2:2 + rank])
    w = g.const("w", rng.integers(-127, 128, (6, 2, *[2] * rank)).astype(np.int8))
    b = g.const("b", rng.integers(-3000, 3000, 6).astype(np.int32))
    y = g.node("IntConv", [spread, w, b], kernel_shape=[2] * rank, group=2)
    model = assert_parity(g.finish(spread, y), {"x": x})
    assert not op_types(model) & {"ConvTranspose", "ConvInteger", "Conv"}


def ocr_det_upsamplers() -> list[tuple[dict, np.ndarray]]:
    """The ConvTransposes of PP-OCRv4 det (rapidocr_onnxruntime): attributes and weights."""
    found = importlib.util.find_spec("rapidocr_onnxruntime")
    if found is None:
        pytest.skip("rapidocr_onnxruntime is not installed (it ships the PP-OCRv4 det model)")
    path = Path(found.submodule_search_locations[0]) / "models" / "ch_PP-OCRv4_det_infer.onnx"
    graph = intq.load_onnx(path).graph
    return [(n.attrs, graph.constants[n.inputs[1]]) for n in graph.nodes
            if n.op == "ConvTranspose"]


def test_ocr_det_upsamplers_quantize_to_integers_and_export_bit_identically():
    upsamplers = ocr_det_upsamplers()
    assert len(upsamplers) == 2
    rng = np.random.default_rng(4)
    for attrs, w in upsamplers:
        g = GraphBuilder()
        x = g.input("x", "float32", ("N", w.shape[0], "H", "W"))
        y = g.node("ConvTranspose", [x, g.const("w", w.astype(np.float32))], **attrs)
        graph = g.finish(g.node("Relu", [y]))
        data = rng.uniform(0, 2, (4, w.shape[0], 6, 5)).astype(np.float32)
        model = intq.quantize(graph, data, progress=False)
        assert [n.op for n in model.graph.nodes] == ["Quantize", "IntZeroInsert", "IntConv",
                                                     "Requantize", "Dequantize"]
        want = execute(graph, {"x": data})[graph.outputs[0]]
        got = model.run(data)[0]
        assert np.abs(got - want).max() <= 0.05 * np.abs(want).max()
        assert_parity(model.graph, {"x": data})

