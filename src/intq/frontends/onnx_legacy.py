"""Rewrites of older-opset node forms into the latest opset's, which is what the IR speaks.

Most old models are first lifted by ``onnx.version_converter``; these rewrites cover what
remains (opsets 13-17 still have attribute axes on most reductions) and every model the
converter rejects. Each rewrite applies below the schema version that introduced the new form.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from intq.frontends.onnx_node import OnnxNode

Rewrite = Callable[[OnnxNode], list[OnnxNode] | None]

ALWAYS = 1 << 30
"""Version bound for ops that later opsets removed altogether."""

_REDUCTIONS = ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax",
               "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare")


def upgrade(node: OnnxNode) -> list[OnnxNode]:
    """The latest-opset node(s) equivalent to ``node``."""
    for op, below, rewrite in _REWRITES:
        if node.op == op and node.version < below:
            return rewrite(node) or [node]
    return [node]


def _attr_to_input(attr: str, index: int, dtype: str) -> Rewrite:
    """An attribute that became input ``index``; absent stays omitted."""

    def rewrite(node: OnnxNode) -> None:
        if attr in node.attrs:
            value = np.asarray(node.attrs.pop(attr), dtype=dtype)
            node.set_input(index, node.constant(attr, value))

    return rewrite


def _split(node: OnnxNode) -> None:
    _attr_to_input("split", 1, "int64")(node)
    if not node.input(1):
        node.attrs["num_outputs"] = len(node.outputs)


def _clip(node: OnnxNode) -> None:
    lo, hi = node.attrs.pop("min", None), node.attrs.pop("max", None)
    node.set_input(1, node.constant("min", np.float32(lo)) if lo is not None else "")
    node.set_input(2, node.constant("max", np.float32(hi)) if hi is not None else "")


def _pad(node: OnnxNode) -> None:
    node.set_input(1, node.constant("pads", np.asarray(node.attrs.pop("pads"), np.int64)))
    node.set_input(2, node.constant("value", np.float32(node.attrs.pop("value", 0.0))))


def _slice(node: OnnxNode) -> None:
    for index, attr in enumerate(("starts", "ends", "axes"), start=1):
        if attr in node.attrs:
            node.set_input(index, node.constant(attr, np.asarray(node.attrs.pop(attr), np.int64)))


def _topk(node: OnnxNode) -> None:
    node.set_input(1, node.constant("k", np.asarray([node.attrs.pop("k")], np.int64)))


def _coerced_2d(node: OnnxNode) -> list[OnnxNode] | None:
    """Softmax, LogSoftmax and Hardmax before opset 13 flatten the input to 2-D at ``axis``
    (default 1) and normalize over the whole trailing block; since 13 they normalize over
    one axis (default -1). Same thing when ``axis`` is the last axis, else flatten and back."""
    axis = node.attrs.pop("axis", 1)
    shape = node.ctx.shape(node.inputs[0])
    if shape is not None and axis % max(len(shape), 1) == len(shape) - 1:
        node.attrs["axis"] = -1
        return None
    x, y = node.inputs[0], node.outputs[0]
    shape_of, flat, normalized = node.fresh("shape"), node.fresh("flat"), node.fresh("2d")
    return [node.derive("Shape", [x], [shape_of], "shape"),
            node.derive("Flatten", [x], [flat], "flatten", {"axis": axis}),
            node.derive(node.op, [flat], [normalized], "2d", {"axis": -1}),
            node.derive("Reshape", [normalized, shape_of], [y], "reshape")]


def _upsample(node: OnnxNode) -> list[OnnxNode]:
    """Upsample (deprecated in opset 10) is Resize with asymmetric coordinates and floor."""
    scales = node.input(1)
    if "scales" in node.attrs:
        scales = node.constant("scales", np.asarray(node.attrs.pop("scales"), np.float32))
    mode = node.attrs.get("mode", "nearest")
    attrs = {"mode": "linear" if mode in ("linear", "bilinear") else mode,
             "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}
    return [OnnxNode("Resize", [node.inputs[0], "", scales], node.outputs, node.name, attrs,
                     node.version, node.ctx)]


def _resize10(node: OnnxNode) -> None:
    """Resize-10 took (X, scales) with Upsample's coordinates; ONNX Runtime rounds nearest
    down when enlarging and up when shrinking."""
    scales = node.ctx.graph.constants.get(node.input(1))
    nearest = "floor"
    if scales is not None and np.all(scales <= 1) and np.any(scales < 1):
        nearest = "ceil"
    elif scales is not None and np.any(scales < 1) and node.attrs.get("mode") == "nearest":
        raise node.unsupported("mixes up- and down-scaling in nearest mode, which has no "
                               "opset 11+ equivalent; re-export at opset 11 or newer")
    node.inputs = [node.inputs[0], "", node.input(1)]
    node.attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode=nearest)


def _drop(*attrs: str) -> Rewrite:
    def rewrite(node: OnnxNode) -> None:
        for attr in attrs:
            node.attrs.pop(attr, None)

    return rewrite


def _dropout(node: OnnxNode) -> None:
    node.attrs.pop("is_test", None)
    ratio = node.attrs.pop("ratio", None)
    if ratio is not None:
        node.set_input(1, node.constant("ratio", np.float32(ratio)))


def _scatter(node: OnnxNode) -> None:
    node.op = "ScatterElements"


_REWRITES: list[tuple[str, int, Rewrite]] = [
    ("Squeeze", 13, _attr_to_input("axes", 1, "int64")),
    ("Unsqueeze", 13, _attr_to_input("axes", 1, "int64")),
    ("ReduceSum", 13, _attr_to_input("axes", 1, "int64")),
    *((op, 18, _attr_to_input("axes", 1, "int64")) for op in _REDUCTIONS),
    ("Split", 18, _split),
    ("Clip", 11, _clip),
    ("Pad", 11, _pad),
    ("Slice", 10, _slice),
    ("TopK", 10, _topk),
    ("Softmax", 13, _coerced_2d),
    ("LogSoftmax", 13, _coerced_2d),
    ("Hardmax", 13, _coerced_2d),
    ("Upsample", ALWAYS, _upsample),
    ("Resize", 11, _resize10),
    ("BatchNormalization", 9, _drop("spatial", "is_test", "consumed_inputs")),
    ("Dropout", 12, _dropout),
    ("Scatter", ALWAYS, _scatter),
]
