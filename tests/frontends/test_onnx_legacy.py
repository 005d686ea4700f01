"""Old-opset node forms import into latest-opset IR, through onnx.version_converter and through
the native rewrites (the converter made to fail), and still run exactly as ORT runs them."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from frontends.onnx_models import assert_matches_ort, make, tensor
from intq.frontends import onnx_import, onnx_load

RNG = np.random.default_rng(1)
X = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


def _model(opset, nodes, outputs=("y",), inits=None, x=X):
    return make(nodes, [tensor("x", x.shape)], list(outputs), inits,
                opset=opset, ir_version=7)


CASES = {
    "squeeze_unsqueeze_axes_attr": lambda: _model(11, [
        node("Unsqueeze", ["x"], ["a"], axes=[0, 5]),
        node("Squeeze", ["a"], ["y"], axes=[0, -1])]),
    "reduce_axes_attr_11": lambda: _model(11, [
        node("ReduceSum", ["x"], ["y"], axes=[1], keepdims=0),
        node("ReduceMean", ["x"], ["z"], axes=[-1, 2]),
        node("ReduceMax", ["x"], ["w"], axes=[0], keepdims=0)], ("y", "z", "w")),
    "reduce_axes_attr_17": lambda: _model(17, [
        node("ReduceMean", ["x"], ["y"], axes=[1, 2]),
        node("ReduceL2", ["x"], ["z"], axes=[3], keepdims=0),
        node("ReduceProd", ["x"], ["w"])], ("y", "z", "w")),
    "split_attr_11": lambda: _model(11, [node("Split", ["x"], ["y", "z"], axis=1, split=[1, 2])],
                                    ("y", "z")),
    "split_equal_17": lambda: _model(17, [node("Split", ["x"], ["y", "z"], axis=2)], ("y", "z")),
    "softmax_coerced_axis1": lambda: _model(11, [node("Softmax", ["x"], ["y"], axis=1)]),
    "logsoftmax_default_axis": lambda: _model(12, [node("LogSoftmax", ["x"], ["y"])]),
    "softmax_last_axis": lambda: _model(11, [node("Softmax", ["x"], ["y"], axis=3)]),
    "clip_attrs": lambda: _model(9, [node("Clip", ["x"], ["y"], min=-0.5, max=0.25)]),
    "pad_attrs": lambda: _model(9, [
        node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=1.5),
        node("Pad", ["x"], ["z"], pads=[0, 0, 1, 1, 0, 0, 1, 1], mode="reflect")], ("y", "z")),
    "upsample_nearest": lambda: _model(9, [node("Upsample", ["x", "s"], ["y"])],
                                       inits={"s": np.array([1, 1, 2, 3], np.float32)}),
    "upsample_linear": lambda: _model(9, [node("Upsample", ["x", "s"], ["y"], mode="linear")],
                                      inits={"s": np.array([1, 1, 2, 2], np.float32)}),
    "upsample_scales_attr": lambda: _model(7, [
        node("Upsample", ["x"], ["y"], scales=[1.0, 1.0, 3.0, 2.0])]),
    "resize10_up": lambda: _model(10, [node("Resize", ["x", "s"], ["y"])],
                                  inits={"s": np.array([1, 1, 2, 2], np.float32)}),
    "resize10_down": lambda: _model(10, [node("Resize", ["x", "s"], ["y"])],
                                    inits={"s": np.array([1, 1, 0.5, 0.6], np.float32)}),
    "batchnorm_spatial": lambda: _model(8, [
        node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], spatial=1, epsilon=1e-3)],
        inits={"g": RNG.uniform(0.5, 2, 3).astype(np.float32),
               "b": RNG.standard_normal(3).astype(np.float32),
               "m": RNG.standard_normal(3).astype(np.float32),
               "v": RNG.uniform(0.5, 2, 3).astype(np.float32)}),
    "dropout_ratio_attr": lambda: _model(9, [node("Dropout", ["x"], ["y", "mask"], ratio=0.3)]),
    "slice_attrs": lambda: _model(9, [
        node("Slice", ["x"], ["y"], starts=[1, 0], ends=[3, -1], axes=[2, 3])]),
    "topk_attr": lambda: _model(9, [node("TopK", ["x"], ["y", "i"], k=2)], ("y", "i")),
    "scatter": lambda: _model(9, [node("Scatter", ["x", "i", "u"], ["y"], axis=1)],
                              inits={"i": np.array([[[[2]]], [[[0]]]], np.int64)
                                     * np.ones((2, 1, 4, 5), np.int64),
                                     "u": np.full((2, 1, 4, 5), 9.0, np.float32)}),
}


CONVERTER_GETS_WRONG = {"upsample_nearest", "upsample_linear", "upsample_scales_attr",
                        "resize10_up", "resize10_down"}
"""The converter gives these half-pixel coordinates; the importer never lets it touch them."""


@pytest.fixture(params=["onnx.version_converter", "native"])
def lift(request, monkeypatch):
    """Import path: the converter, or the native rewrites (the converter made to fail)."""
    if request.param == "native":
        def refuse(model, target):
            raise RuntimeError("converter unavailable in this test")

        monkeypatch.setattr(onnx_load.version_converter, "convert_version", refuse)
    return request.param


@pytest.mark.parametrize("case", sorted(CASES))
def test_legacy_form_imports_and_matches_ort(case, lift):
    model = CASES[case]()
    graph = assert_matches_ort(model, X)
    source = model.opset_import[0].version
    assert graph.meta["source_opset"] == source
    expected = "native" if case in CONVERTER_GETS_WRONG else lift
    assert graph.meta["opset_upgrade"] == (expected if source < onnx_load.LIFT_TO else None)
    for ir_node in graph.nodes:
        assert "axes" not in ir_node.attrs or ir_node.op in ("Resize", "Pad"), ir_node
        assert "is_test" not in ir_node.attrs and "spatial" not in ir_node.attrs
    assert not {"Upsample", "Scatter"} & {n.op for n in graph.nodes}


def _consts(graph, ir_node):
    return [graph.constants.get(i) for i in ir_node.inputs]


def test_native_rewrites_turn_attributes_into_constant_inputs(monkeypatch):
    monkeypatch.setattr(onnx_load, "LIFT_TO", 0)
    graph = onnx_import.import_onnx(CASES["reduce_axes_attr_11"]())
    by_op = {n.op: n for n in graph.nodes}
    assert _consts(graph, by_op["ReduceSum"])[1].tolist() == [1]
    assert _consts(graph, by_op["ReduceMean"])[1].tolist() == [-1, 2]
    graph = onnx_import.import_onnx(CASES["clip_attrs"]())
    assert [float(c) for c in _consts(graph, graph.nodes[0])[1:]] == [-0.5, 0.25]
    graph = onnx_import.import_onnx(CASES["split_equal_17"]())
    assert graph.nodes[0].attrs["num_outputs"] == 2 and graph.nodes[0].inputs[1:] in ([], [""])
    graph = onnx_import.import_onnx(CASES["upsample_nearest"]())
    (resize,) = graph.nodes
    assert resize.op == "Resize" and resize.inputs[1] == ""
    assert resize.attrs["coordinate_transformation_mode"] == "asymmetric"


def test_native_softmax_coercion_flattens_unless_axis_is_last(monkeypatch):
    monkeypatch.setattr(onnx_load, "LIFT_TO", 0)
    graph = onnx_import.import_onnx(CASES["softmax_coerced_axis1"]())
    assert [n.op for n in graph.nodes] == ["Shape", "Flatten", "Softmax", "Reshape"]
    assert graph.nodes[1].attrs["axis"] == 1 and graph.nodes[2].attrs["axis"] == -1
    graph = onnx_import.import_onnx(CASES["softmax_last_axis"]())
    assert [(n.op, n.attrs["axis"]) for n in graph.nodes] == [("Softmax", -1)]


def test_unused_dropout_mask_is_dropped():
    graph = onnx_import.import_onnx(CASES["dropout_ratio_attr"]())
    (dropout,) = graph.nodes
    assert dropout.outputs == ["y"]
