"""IntDiv and IntL2Normalize in ONNX Runtime equal intq's, zero divisors and vectors included."""

from __future__ import annotations

import numpy as np
import pytest

from intq.quant.divide import l2_shift

from ..parity import GraphBuilder, assert_parity


@pytest.mark.parametrize("dtype,m,k", [("int8", 3, 1), ("int16", 1_234_567, 20),
                                       ("uint8", (1 << 31) - 1, 40)])
def test_int_div_parity(dtype: str, m: int, k: int):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, (3, 7), endpoint=True).astype(dtype)
    d = rng.integers(-2, 300, (3, 1)).astype("int16")
    d[0, 0] = 0
    g = GraphBuilder()
    y = g.node("IntDiv", [g.input("a", dtype, (3, 7)), g.input("d", "int16", (3, 1))], m=m, k=k,
               bits=16, signed=1, lo=-30000, hi=30000)
    assert_parity(g.finish(y), {"a": a, "d": d})


@pytest.mark.parametrize("dtype,out_max,bits", [("int8", 127, 8), ("int16", 32767, 16)])
def test_int_l2_normalize_parity(dtype: str, out_max: int, bits: int):
    info = np.iinfo(dtype)
    x = np.random.default_rng(1).integers(info.min, info.max, (4, 2, 96),
                                          endpoint=True).astype(dtype)
    x[0, 1] = 0
    x[1, 0, :95] = 0
    bound = max(-int(info.min), int(info.max))
    shift = l2_shift(96 * bound * bound, bound * out_max)
    g = GraphBuilder()
    y = g.node("IntL2Normalize", [g.input("x", dtype, (4, 2, 96))], axis=2, out_max=out_max,
               shift=shift, bits=bits, signed=1)
    assert_parity(g.finish(y), {"x": x})
