"""Ops that keep their ONNX type run in ONNX Runtime exactly as intq runs them: data movement on
every integer dtype (including those ONNX Runtime has no kernel for, run widened), int64
Max/Min/Clip (exact comparisons), opset-17 forms of newer IR forms, float ops kept in float."""

from __future__ import annotations

import numpy as np
import pytest

from intq.errors import UnsupportedOpError
from intq.export import to_onnx

from ..parity import GraphBuilder, assert_parity, op_types

INT_DTYPES = ["int8", "uint8", "int16", "int32"]


def sample(dtype: str, shape: tuple, seed: int = 0) -> np.ndarray:
    info = np.iinfo(dtype)
    low, high = max(info.min, -(1 << 40)), min(info.max, 1 << 40)
    return np.random.default_rng(seed).integers(low, high, shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("opset", [17, 18])
def test_windows_and_reductions(dtype: str, opset: int):
    g = GraphBuilder()
    x = g.input("x", dtype, ("N", 3, 7, 7))
    pooled = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 0, 1, 1],
                    ceil_mode=1)
    dilated = g.node("MaxPool", [x], kernel_shape=[2, 2], dilations=[2, 2])
    top = g.node("GlobalMaxPool", [pooled])
    rmax = g.node("ReduceMax", [dilated, g.const("axes", np.array([1, 3]))], keepdims=0)
    rmin = g.node("ReduceMin", [x, g.const("axes2", np.array([-1]))])
    assert_parity(g.finish(pooled, dilated, top, rmax, rmin), {"x": sample(dtype, (2, 3, 7, 7))},
                  opset=opset)


@pytest.mark.parametrize("dtype", INT_DTYPES + ["int64"])
def test_elementwise_extrema(dtype: str):
    g = GraphBuilder()
    x = g.input("x", dtype, ("N", 4, 5))
    y = g.input("y", dtype, (4, 1))
    info = np.iinfo(dtype)
    low, high = g.const("low", np.array(info.min // 3, dtype)), g.const("high", np.array(7, dtype))
    outs = [g.node("Max", [x, y]), g.node("Min", [x, y, g.const("z", np.array([9], dtype))]),
            g.node("Clip", [x, low, high]), g.node("Clip", [x, "", high]), g.node("Relu", [x])]
    x_val = sample(dtype, (2, 4, 5))
    if dtype == "int64":
        x_val[0, 0, :] = [2684354560, -2684354560, 3 << 31, -(1 << 62), 1 << 62]
    assert_parity(g.finish(*outs), {"x": x_val, "y": sample(dtype, (4, 1), 1)})


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_data_movement_chain(dtype: str):
    g = GraphBuilder()
    x = g.input("x", dtype, ("N", 2, 3, 4))
    t = g.node("Transpose", [x], perm=[0, 3, 1, 2])
    p = g.node("Pad", [t, g.const("pads", np.array([0, 0, 1, 0, 0, 0, 0, 2])),
                      g.const("value", np.array(3, dtype))])
    s = g.node("Slice", [p, g.const("starts", np.array([1, 0])), g.const("ends", np.array([4, 3])),
                        g.const("axes", np.array([1, 3]))])
    c = g.node("Concat", [s, s], axis=2)
    r = g.node("Reshape", [c, g.const("shape", np.array([0, -1]))])
    u = g.node("Unsqueeze", [r, g.const("ax", np.array([1]))])
    e = g.node("Expand", [u, g.const("to", np.array([1, 2, 1]))])
    f = g.node("Flatten", [g.node("Tile", [e, g.const("reps", np.array([1, 1, 2]))])], axis=2)
    gathered = g.node("Gather", [f, g.const("idx", np.array([[1, 0], [0, 0]]))], axis=1)
    halves = g.graph.add_node("Split", [gathered], 2, attrs={"axis": 1, "num_outputs": 2})
    first = g.node("Squeeze", [halves.outputs[0], g.const("sq", np.array([1]))])
    nearest = g.node("Resize", [x, "", g.const("scales", np.array([1, 1, 2, 1.5], np.float32))],
                     mode="nearest")
    graph = g.finish(first, halves.outputs[1], nearest)
    assert_parity(graph, {"x": sample(dtype, (2, 2, 3, 4))})


def test_uneven_split_in_opset_17():
    g = GraphBuilder()
    x = g.input("x", "int8", (2, 7))
    split = g.graph.add_node("Split", [x], 3, attrs={"axis": 1, "num_outputs": 3})
    graph = g.finish(*split.outputs)
    for opset in (17, 18):
        assert_parity(graph, {"x": sample("int8", (2, 7))}, opset=opset)


def test_float_ops_kept_in_float():
    g = GraphBuilder()
    x = g.input("x", "float32", ("N", 4))
    y = g.node("Sigmoid", [g.node("ReduceMean", [x, g.const("axes", np.array([1]))])])
    shape = g.node("Shape", [x])
    n = g.node("Cast", [shape], to="float32")
    fill = g.node("ConstantOfShape", [shape], value=3, dtype="int32")
    graph = g.finish(y, n, fill)
    model = assert_parity(graph, {"x": np.linspace(-3, 3, 8, dtype=np.float32).reshape(2, 4)})
    assert {"Sigmoid", "ReduceMean", "ConstantOfShape"} <= op_types(model)


def test_integer_resize_must_be_nearest():
    g = GraphBuilder()
    x = g.input("x", "int8", (1, 1, 2, 2))
    y = g.node("Resize", [x, "", g.const("scales", np.array([1, 1, 2, 2], np.float32))],
               mode="linear")
    graph = g.finish(y)
    with pytest.raises(UnsupportedOpError, match=r"node 'resize' \(Resize\).*'linear'"):
        to_onnx(graph)
