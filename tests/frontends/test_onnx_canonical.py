"""Nodes take the IR's canonical forms: explicit window geometry, dtype names, JSON attributes."""

from __future__ import annotations

import re

import numpy as np
import pytest
from onnx import TensorProto, helper

from frontends.onnx_models import assert_matches_ort, make, tensor
from intq.frontends.onnx_import import import_onnx

RNG = np.random.default_rng(0)


def _windowed(op: str, auto_pad: str, size: tuple[int, int], kernel: int,
              stride: int | tuple[int, int], dilation: int = 1):
    x = RNG.standard_normal((2, 3, *size)).astype(np.float32)
    attrs = {"auto_pad": auto_pad,
             "strides": list(stride) if isinstance(stride, tuple) else [stride, stride]}
    inits = {}
    inputs = ["x"]
    if op in ("Conv", "ConvTranspose"):
        w_shape = (4, 3, kernel, kernel) if op == "Conv" else (3, 4, kernel, kernel)
        inits["w"] = RNG.standard_normal(w_shape).astype(np.float32)
        inputs.append("w")
        attrs["dilations"] = [dilation, dilation]
    else:
        attrs["kernel_shape"] = [kernel, kernel]
    node = helper.make_node(op, inputs, ["y"], **attrs)
    model = make([node], [tensor("x", x.shape)], [tensor("y", [None] * 4)], inits)
    return model, x


@pytest.mark.parametrize("op", ["Conv", "MaxPool", "AveragePool", "ConvTranspose"])
@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
@pytest.mark.parametrize("size,kernel,stride", [((7, 8), 3, 2), ((6, 5), 4, 1), ((10, 9), 3, 3),
                                                     ((5, 7), 3, (2, 1))])
def test_auto_pad_becomes_explicit_pads(op, auto_pad, size, kernel, stride):
    model, x = _windowed(op, auto_pad, size, kernel, stride)
    graph = assert_matches_ort(model, x)
    (node,) = graph.nodes
    assert "auto_pad" not in node.attrs
    assert len(node.attrs["pads"]) == 4 and node.attrs["kernel_shape"] == [kernel, kernel]


def test_dilated_same_conv_pads_follow_the_onnx_formula():
    """ORT refuses dilation with SAME; compare with the explicitly padded model instead."""
    model, x = _windowed("Conv", "SAME_UPPER", (10, 11), 3, 2, dilation=2)
    graph = import_onnx(model)
    assert graph.nodes[0].attrs["pads"] == [1, 2, 2, 2]
    explicit = model.graph.node[0].attribute
    for attr in explicit:
        if attr.name == "auto_pad":
            explicit.remove(attr)
    explicit.append(helper.make_attribute("pads", [1, 2, 2, 2]))
    assert_matches_ort(model, x, graph=graph)


def test_conv_kernel_shape_comes_from_weight():
    w = RNG.standard_normal((2, 3, 3, 5)).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"])
    model = make([node], [tensor("x", ["N", 3, 8, 8])], [tensor("y", ["N", 2, 6, 4])], {"w": w})
    graph = import_onnx(model)
    assert graph.nodes[0].attrs["kernel_shape"] == [3, 5]
    assert graph.nodes[0].attrs["pads"] == [0, 0, 0, 0]


def test_same_padding_on_dynamic_spatial_size_asks_for_static_shapes():
    model, _ = _windowed("Conv", "SAME_UPPER", (7, 7), 3, 2)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[2].dim_param = "N", "H"
    (island,) = import_onnx(model).nodes
    assert island.op == "OnnxIsland"
    assert re.search("auto_pad=SAME_UPPER.*input_shapes=", island.attrs["reason"])
    graph = import_onnx(model, input_shapes={"x": [None, None, 7, 7]})
    assert graph.values["x"].shape == ("N", 3, 7, 7)
    assert graph.nodes[0].attrs["pads"] == [1, 1, 1, 1]


@pytest.mark.parametrize("to,name", [(TensorProto.INT32, "int32"), (TensorProto.FLOAT16,
                                                                     "float16"),
                                     (TensorProto.BOOL, "bool"), (TensorProto.INT64, "int64")])
def test_cast_target_is_a_numpy_dtype_name(to, name):
    x = np.array([[-2.5, 0.0, 1.7]], np.float32)
    model = make([helper.make_node("Cast", ["x"], ["y"], to=to)], [tensor("x", x.shape)],
                 [helper.make_tensor_value_info("y", to, x.shape)])
    graph = assert_matches_ort(model, x)
    assert graph.nodes[0].attrs["to"] == name
    assert graph.values["y"].dtype == name


@pytest.mark.parametrize("value", [None, np.array([2.5], np.float32), np.array([7], np.int64)])
def test_constant_of_shape_value_becomes_scalar_and_dtype(value):
    attrs = {} if value is None else {"value": helper.make_tensor(
        "v", helper.np_dtype_to_tensor_dtype(value.dtype), [1], value.tolist())}
    dtype = np.float32 if value is None else value.dtype
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("ConstantOfShape", ["s"], ["y"], **attrs)]
    model = make(nodes, [tensor("x", ["N", 3])], [tensor("y", ["N", 3], dtype)])
    graph = assert_matches_ort(model, np.zeros((4, 3), np.float32))
    node = graph.nodes[-1]
    assert node.attrs["dtype"] == np.dtype(dtype).name
    assert node.attrs["value"] == (0.0 if value is None else value[0].item())
    assert isinstance(node.attrs["value"], (int, float))
