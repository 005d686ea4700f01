"""IntAdd and IntMul in ONNX Runtime equal intq's, with broadcasting, negative multipliers
(subtraction), ties, saturation and narrowed clamps."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.quant.fixedpoint import int_range

from ..parity import GraphBuilder, assert_parity


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), shift=st.integers(0, 40), bits=st.sampled_from([4, 8, 16]),
       signed=st.booleans(), narrow=st.booleans(), seed=st.integers(0, 2**16))
def test_int_add_parity(n: int, shift: int, bits: int, signed: bool, narrow: bool, seed: int):
    rng = np.random.default_rng(seed)
    dtypes = rng.choice(["int8", "uint8", "int16"], n)
    shapes = [("N", 3, 4), (1, 3, 1), (4,)][:n]
    mults = [int(m) for m in rng.integers(-(1 << 31), 1 << 31, n)]
    if shift:
        mults[0] = 1 << (shift - 1)  # with x = odd values, exact ties on one term
    g = GraphBuilder()
    feeds = {}
    for i, (dtype, shape) in enumerate(zip(dtypes, shapes)):
        info = np.iinfo(dtype)
        concrete = tuple(2 if d == "N" else d for d in shape)
        feeds[f"x{i}"] = rng.integers(info.min, info.max, concrete, endpoint=True).astype(dtype)
        g.input(f"x{i}", dtype, shape)
    lo, hi = int_range(bits, signed)
    if narrow:
        lo, hi = lo // 2, hi // 2
    y = g.node("IntAdd", list(feeds), multipliers=mults, shift=shift, bits=bits,
               signed=int(signed), lo=lo, hi=hi)
    assert_parity(g.finish(y), feeds)


@settings(max_examples=25, deadline=None)
@given(a_dtype=st.sampled_from(["int8", "uint8", "int16", "int32"]),
       const_b=st.booleans(), acc_bits=st.sampled_from([32, 64]), seed=st.integers(0, 2**16))
def test_int_mul_parity(a_dtype: str, const_b: bool, acc_bits: int, seed: int):
    rng = np.random.default_rng(seed)
    info = np.iinfo(a_dtype)
    top = min(info.max, 1 << 15)
    a = rng.integers(max(info.min, -top), top, (2, 3, 4), endpoint=True).astype(a_dtype)
    b_val = rng.integers(-128, 128, (3, 1)).astype(np.int8)
    g = GraphBuilder()
    ai = g.input("a", a_dtype, ("N", 3, 4))
    feeds = {"a": a}
    if const_b:
        bi = g.const("b", b_val)
    else:
        bi = g.input("b", "int8", (3, 1))
        feeds["b"] = b_val
    assert_parity(g.finish(g.node("IntMul", [ai, bi], acc_bits=acc_bits)), feeds)
