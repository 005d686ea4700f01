"""IntLayerNorm in ONNX Runtime equals intq's I-BERT layer norm: constant rows (zero variance),
rows needing right shifts (wide inputs) or left shifts, eps dominating, every normalized axis."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops.integer import layernorm_attrs
from intq.quant.nonlinear import plan_i_layernorm

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=25, deadline=None)
@given(in_bits=st.sampled_from([8, 16, 24]), n=st.sampled_from([1, 4, 32, 96]),
       eps=st.sampled_from([1e-5, 1e-2, 10.0]), axis=st.sampled_from([-1, 1]),
       out_signed=st.booleans(), seed=st.integers(0, 2**16))
def test_int_layernorm_parity(in_bits: int, n: int, eps: float, axis: int, out_signed: bool,
                              seed: int):
    rng = np.random.default_rng(seed)
    plan = plan_i_layernorm(0.05, in_bits, n, rng.normal(1, 0.3, n), rng.normal(0, 0.2, n), eps,
                            0.03, 8, out_signed)
    lo = -(1 << (in_bits - 1))
    dtype = "int8" if in_bits == 8 else "int16" if in_bits == 16 else "int32"
    shape = (2, n, 3) if axis == 1 else (2, 3, n)
    q = rng.integers(lo, -lo, shape)
    rows = q if axis == -1 else np.moveaxis(q, 1, -1)
    rows[0, 0, :] = 5
    rows[0, 1, :] = lo
    rows[1, 0, :] = rng.integers(-2, 3, n)
    q = (rows if axis == -1 else np.moveaxis(rows, -1, 1)).astype(dtype)
    g = GraphBuilder()
    x = g.input("q", dtype, ("N", *shape[1:]))
    y = g.node("IntLayerNorm", [x, g.const("gain", plan.gain), g.const("bias", plan.bias)],
               **layernorm_attrs(plan, axis))
    assert_parity(g.finish(y), {"q": q})
