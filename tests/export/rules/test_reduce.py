"""IntReduceSum in ONNX Runtime equals intq's, including int64 sums beyond 2^53 (where ONNX
Runtime's own int64 ReduceSum, accumulating in double, would round)."""

from __future__ import annotations

import numpy as np
import pytest

from ..parity import GraphBuilder, assert_parity


@pytest.mark.parametrize("axes,keepdims", [([2, 3], 1), ([1], 0), ([-1], 1), (None, 0)])
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_int_reduce_sum_parity(axes: list | None, keepdims: int, dtype: str):
    info = np.iinfo(dtype)
    x = np.random.default_rng(0).integers(info.min, info.max, (2, 3, 4, 5),
                                          endpoint=True).astype(dtype)
    g = GraphBuilder()
    xi = g.input("x", dtype, (2, 3, 4, 5))
    inputs = [xi] if axes is None else [xi, g.const("axes", np.array(axes, np.int64))]
    y = g.node("IntReduceSum", inputs, keepdims=keepdims, acc_bits=64 if axes is None else 32)
    assert_parity(g.finish(y), {"x": x})


def test_int_reduce_sum_beyond_2_pow_53():
    x = np.array([[(1 << 59) + 1, 3, -(1 << 58) + 7, (1 << 55) + 1]], dtype=np.int64)
    g = GraphBuilder()
    xi = g.input("x", "int64", (1, 4))
    y = g.node("IntReduceSum", [xi, g.const("axes", np.array([1]))], acc_bits=64)
    assert_parity(g.finish(y), {"x": x})


@pytest.mark.parametrize("axes,keepdims,frac", [([2, 3], 1, 8), ([1], 0, 0), (None, 0, 3)])
def test_int_mean_parity_with_a_symbolic_count(axes: list | None, keepdims: int, frac: int):
    rng = np.random.default_rng(1)
    g = GraphBuilder()
    xi = g.input("x", "int8", ("N", 3, "H", "W"))
    inputs = [xi] if axes is None else [xi, g.const("axes", np.array(axes, np.int64))]
    y = g.node("IntMean", inputs, keepdims=keepdims, frac_bits=frac, max_length=4096,
               acc_bits=32)
    model = g.finish(y)
    for shape in ((2, 3, 4, 5), (1, 3, 7, 3)):
        assert_parity(model, {"x": rng.integers(-128, 128, shape).astype(np.int8)})
