"""Quantize and Dequantize in ONNX Runtime equal intq's: exact ties (half to even), saturation,
infinities, 8-bit via QuantizeLinear, other widths spelled out; per-channel Dequantize."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..parity import GraphBuilder, assert_parity, op_types

SCALES = [0.0078125, 0.05, 1 / 3, 0.3, 7.1, 1e-3]


def quantize_inputs(scale: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = rng.integers(-40000, 40000, 400)
    s = np.float32(scale)
    return np.concatenate([(q + 0.5) * s, (q - 0.5) * s, q * s, rng.normal(0, 300 * s, 400),
                           [np.inf, -np.inf, 1e30, -1e30, 0.0, -0.0]]).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(scale=st.sampled_from(SCALES), bits=st.sampled_from([2, 4, 8, 12, 16, 24]),
       signed=st.booleans(), seed=st.integers(0, 2**16))
def test_quantize_parity(scale: float, bits: int, signed: bool, seed: int):
    g = GraphBuilder()
    x = g.input("x", "float32", ("N",))
    y = g.node("Quantize", [x], scale=scale, bits=bits, signed=int(signed))
    model = assert_parity(g.finish(y), {"x": quantize_inputs(scale, seed)})
    if bits == 8:
        assert "QuantizeLinear" in op_types(model)


def test_quantize_ties_round_half_to_even():
    g = GraphBuilder()
    x = g.input("x", "float32", (6,))
    y = g.node("Quantize", [x], scale=0.5, bits=8, signed=1)
    halves = np.array([0.25, 0.75, -0.25, -0.75, 1.25, 63.75], dtype=np.float32)
    graph = g.finish(y)
    assert_parity(graph, {"x": halves})


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
def test_dequantize_parity(dtype: str):
    info = np.iinfo(dtype)
    q = np.random.default_rng(0).integers(max(info.min, -(1 << 40)), min(info.max, 1 << 40),
                                          (2, 3, 4), dtype=dtype, endpoint=True)
    for scale in (0.0123, [0.5, 1e-3, 3.3]):
        g = GraphBuilder()
        x = g.input("q", dtype, ("N", 3, 4))
        assert_parity(g.finish(g.node("Dequantize", [x], scale=scale, axis=1)), {"q": q})
