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
