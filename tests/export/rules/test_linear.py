"""IntConv and IntMatMul in ONNX Runtime equal intq's: every conv geometry (1-D/2-D, groups,
depthwise with multipliers, strides, dilations, asymmetric pads), extreme operands, int32 and
int64 accumulators, constant and variable matmul operands."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..parity import GraphBuilder, assert_parity, op_types


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    rank = draw(st.sampled_from([1, 2]))
    groups, per_group, mult = draw(st.sampled_from(
        [(1, 3, 4), (1, 1, 2), (3, 1, 1), (3, 1, 2), (2, 2, 3)]))
    kernel = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    strides = draw(st.lists(st.integers(1, 2), min_size=rank, max_size=rank))
    dilations = draw(st.lists(st.integers(1, 2), min_size=rank, max_size=rank))
    pads = draw(st.lists(st.integers(0, 2), min_size=2 * rank, max_size=2 * rank))
    sizes = [(k - 1) * d + 1 + draw(st.integers(0, 3)) for k, d in zip(kernel, dilations)]
    return {"rank": rank, "groups": groups, "in_ch": groups * per_group,
            "out_ch": groups * mult, "kernel": kernel, "strides": strides,
            "dilations": dilations, "pads": pads, "sizes": sizes,
            "dtype": draw(st.sampled_from(["int8", "uint8"])),
            "extreme": draw(st.booleans()), "bias": draw(st.booleans()),
            "acc_bits": draw(st.sampled_from([32, 64])), "seed": draw(st.integers(0, 2**16))}


@settings(max_examples=40, deadline=None)
@given(conv_cases())
def test_int_conv_parity(case: dict):
    rng = np.random.default_rng(case["seed"])
    info = np.iinfo(case["dtype"])
    shape = (2, case["in_ch"], *case["sizes"])
    w_shape = (case["out_ch"], case["in_ch"] // case["groups"], *case["kernel"])
    if case["extreme"]:
        x = rng.choice([info.min, info.max], shape)
        w = rng.choice([-127, 127], w_shape)
    else:
        x = rng.integers(info.min, info.max, shape, endpoint=True)
        w = rng.integers(-127, 127, w_shape, endpoint=True)
    g = GraphBuilder()
    xi = g.input("x", case["dtype"], ("N", *shape[1:]))
    inputs = [xi, g.const("w", w.astype(np.int8))]
    if case["bias"]:
        inputs.append(g.const("b", rng.integers(-5000, 5000, case["out_ch"]).astype(np.int32)))
    y = g.node("IntConv", inputs, kernel_shape=case["kernel"], strides=case["strides"],
               dilations=case["dilations"], pads=case["pads"], group=case["groups"],
               acc_bits=case["acc_bits"])
    model = assert_parity(g.finish(y), {"x": x.astype(case["dtype"])})
    assert not op_types(model) & {"ConvInteger", "MatMulInteger", "Conv"}


def test_int_conv_needs_no_static_spatial_size():
    g = GraphBuilder()
    x = g.input("x", "int8", ("N", 2, "H", "W"))
    w = g.const("w", np.arange(-36, 36).reshape(4, 2, 3, 3).astype(np.int8))
    y = g.node("IntConv", [x, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    graph = g.finish(y)
    for size in (5, 9):
        x_val = np.random.default_rng(size).integers(-128, 128, (1, 2, size, size)).astype(np.int8)
        assert_parity(graph, {"x": x_val})


@settings(max_examples=30, deadline=None)
@given(batch=st.sampled_from([(), (3,), (2, 3)]), k=st.integers(1, 17), n=st.integers(1, 9),
       const_b=st.booleans(), bias=st.booleans(), acc_bits=st.sampled_from([32, 64]),
       seed=st.integers(0, 2**16))
def test_int_matmul_parity(batch: tuple, k: int, n: int, const_b: bool, bias: bool,
                           acc_bits: int, seed: int):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (*batch, 4, k)).astype(np.int8)
    b_val = rng.integers(0, 256, (k, n) if const_b else (*batch, k, n)).astype(np.uint8)
    g = GraphBuilder()
    ai = g.input("a", "int8", a.shape)
    feeds = {"a": a}
    if const_b:
        bi = g.const("b", b_val)
    else:
        bi = g.input("b", "uint8", b_val.shape)
        feeds["b"] = b_val
    inputs = [ai, bi] + ([g.const("bias", rng.integers(-999, 999, n).astype(np.int32))]
                         if bias else [])
    assert_parity(g.finish(g.node("IntMatMul", inputs, acc_bits=acc_bits)), feeds)


@pytest.mark.parametrize("a_shape,b_shape", [((5,), (5, 3)), ((2, 5), (5,)), ((5,), (5,))])
def test_int_matmul_vectors(a_shape: tuple, b_shape: tuple):
    rng = np.random.default_rng(0)
    g = GraphBuilder()
    a = g.input("a", "int8", a_shape)
    b_const = g.const("b", rng.integers(-127, 128, b_shape).astype(np.int8))
    assert_parity(g.finish(g.node("IntMatMul", [a, b_const])),
                  {"a": rng.integers(-128, 128, a_shape).astype(np.int8)})


def test_int32_accumulator_computed_in_int64_when_products_may_overflow():
    """An int32-declared input could reach 2^31, so its products are formed in int64 and only
    the (proven) final accumulator is int32."""
    g = GraphBuilder()
    a = g.input("a", "int32", (2, 3))
    w = g.const("w", np.array([[127, -127], [1, 2], [-3, 4]], dtype=np.int8))
    model = assert_parity(g.finish(g.node("IntMatMul", [a, w], acc_bits=32)),
                          {"a": np.array([[1 << 20, -5, 7], [-(1 << 20), 3, 0]], np.int32)})
    matmul = next(n for n in model.graph.node if n.op_type == "MatMul")
    cast = next(n for n in model.graph.node if matmul.input[0] in n.output)
    assert cast.op_type == "Cast" and cast.attribute[0].i == 7  # int64
