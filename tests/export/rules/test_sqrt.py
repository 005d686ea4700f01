"""IntSqrt in ONNX Runtime equals intq's: negative inputs, 8- and 16-bit outputs, grid ratios
from small (fraction bits kept) to large (none)."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ops.integer.sqrt import sqrt_attrs

from ..parity import GraphBuilder, assert_parity


@pytest.mark.parametrize("in_scale, out_scale, bits", [(1 / 32767, 1 / 65535, 16),
                                                       (1e-6, 1e-2, 8), (0.5, 0.01, 16)])
def test_int_sqrt_parity(in_scale: float, out_scale: float, bits: int):
    q = np.random.default_rng(0).integers(-32768, 32768, (4, 257)).astype(np.int16)
    q[0, :3] = [0, 1, 32767]
    g = GraphBuilder()
    y = g.node("IntSqrt", [g.input("q", "int16", ("N", 257))],
               **sqrt_attrs(in_scale, 32767, out_scale, bits))
    assert_parity(g.finish(y), {"q": q})
