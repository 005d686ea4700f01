"""IntLUT in ONNX Runtime equals intq's for every input value of 8- and 10-bit inputs."""

from __future__ import annotations

import numpy as np
import pytest

from intq.quant.fixedpoint import int_range
from intq.quant.nonlinear import build_lut

from ..parity import GraphBuilder, assert_parity


@pytest.mark.parametrize("in_bits,in_signed,out_signed", [(8, True, True), (8, False, False),
                                                           (10, True, False)])
def test_int_lut_parity_on_every_input(in_bits: int, in_signed: bool, out_signed: bool):
    table, offset = build_lut(np.tanh, 0.02, in_bits, in_signed, 1 / 127, 8, out_signed)
    lo, hi = int_range(in_bits, in_signed)
    dtype = "int16" if in_bits > 8 else ("int8" if in_signed else "uint8")
    g = GraphBuilder()
    q = g.input("q", dtype, ("N",))
    y = g.node("IntLUT", [q, g.const("table", table)], in_lo=-offset)
    assert_parity(g.finish(y), {"q": np.arange(lo, hi + 1).astype(dtype)})
