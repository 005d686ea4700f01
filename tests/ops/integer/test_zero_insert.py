"""IntZeroInsert followed by IntConv equals ConvTranspose exactly: every geometry (1-D/2-D,
groups, strides, dilations, pads, output_padding), against ConvTranspose's float64 reference
on small integers (exact: every partial sum is far below 2^53)."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from intq.ir.graph import Node, TensorType
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import get_op, normalize_attrs
from intq.quantize.rules.conv_transpose import direct_kernel, direct_pads


@st.composite
def transpose_cases(draw: st.DrawFn) -> dict:
    rank = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2, 3]))
    kernel = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    strides = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    dilations = draw(st.lists(st.integers(1, 2), min_size=rank, max_size=rank))
    reach = [(k - 1) * d for k, d in zip(kernel, dilations)]
    pads = [draw(st.integers(0, r + 1)) for r in reach * 2]
    output_padding = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(strides, dilations)]
    return {"rank": rank, "groups": groups, "in_per_group": draw(st.integers(1, 2)),
            "out_per_group": draw(st.integers(1, 2)), "sizes": draw(st.lists(
                st.integers(1, 4), min_size=rank, max_size=rank)),
            "attrs": {"kernel_shape": kernel, "strides": strides, "dilations": dilations,
                      "pads": pads, "output_padding": output_padding, "group": groups},
            "seed": draw(st.integers(0, 2**16))}


def lowered(x: np.ndarray, w: np.ndarray, attrs: dict, fast: bool) -> np.ndarray:
    node = Node("t", "ConvTranspose", ["x", "w"], ["y"], normalize_attrs("ConvTranspose", attrs))
    pads = direct_pads(node, x.shape[2:])
    spread_op, conv_op = get_op("IntZeroInsert"), get_op("IntConv")
    spread = spread_op.evaluate({"strides": node.attrs["strides"], "pads": pads}, x)[0]
    conv_attrs = normalize_attrs("IntConv", {"kernel_shape": attrs["kernel_shape"],
                                             "dilations": attrs["dilations"],
                                             "group": attrs["group"], "acc_bits": 64})
    run = conv_op.evaluate_fast if fast else conv_op.evaluate
    return run(conv_attrs, spread, direct_kernel(w, attrs["group"]).astype(np.int8))[0]


@settings(max_examples=60, deadline=None)
@given(transpose_cases(), st.booleans())
def test_zero_insert_then_conv_is_conv_transpose(case: dict, fast: bool):
    rng = np.random.default_rng(case["seed"])
    channels = case["groups"] * case["in_per_group"]
    x = rng.integers(-128, 128, (2, channels, *case["sizes"])).astype(np.int8)
    w = rng.integers(-127, 128, (channels, case["out_per_group"],
                                 *case["attrs"]["kernel_shape"])).astype(np.int8)
    attrs = normalize_attrs("ConvTranspose", dict(case["attrs"]))
    assume(all(size > 0 for size in get_op("ConvTranspose").infer(
        attrs, [TensorType(x.shape, "float64"), TensorType(w.shape, "float64")], [None, None]
    )[0].shape[2:]))
    want = get_op("ConvTranspose").evaluate(attrs, x.astype(np.float64), w.astype(np.float64))[0]
    got = lowered(x, w, case["attrs"], fast)
    assert got.shape == want.shape
    assert np.array_equal(got, want.astype(np.int64))


def test_negative_pads_crop_and_the_range_is_the_inputs():
    x = np.arange(1, 7, dtype=np.int8).reshape(1, 1, 6)
    op = get_op("IntZeroInsert")
    y = op.evaluate({"strides": [2], "pads": [-1, 2]}, x)[0]
    assert y.tolist() == [[[0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 0]]]
    assert y.dtype == np.int8
    r = op.value_range({"strides": [2], "pads": [-1, 2]}, [IntRange.of(-3, 9)], [None], [None])
    assert r == [IntRange.of(-3, 9)]
