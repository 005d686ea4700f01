"""The IR's canonical attribute forms (docs/ARCHITECTURE.md) for nodes already in latest-opset
terms: explicit window geometry instead of ``auto_pad``, dtypes as NumPy names, and no tensor
attributes (only JSON values, so a graph serializes as plain JSON)."""

from __future__ import annotations

import numpy as np

from intq.frontends.onnx_node import OnnxNode, onnx_dtype

_WINDOWED = ("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool")


def canonicalize(node: OnnxNode) -> None:
    if node.op in _WINDOWED:
        _window_geometry(node)
    elif node.op == "Cast":
        node.attrs["to"] = onnx_dtype(node.attrs["to"], f"Cast target of node '{node.name}'")
    elif node.op == "ConstantOfShape":
        _constant_of_shape(node)


def _window_geometry(node: OnnxNode) -> None:
    """Set ``kernel_shape`` (Conv takes it from the weight) and resolve ``auto_pad``."""
    if node.op in ("Conv", "ConvTranspose") and "kernel_shape" not in node.attrs:
        weight = node.ctx.shape(node.input(1))
        if weight is None or not all(isinstance(d, int) for d in weight[2:]):
            raise node.unsupported(f"has no kernel_shape and the shape of weight "
                                   f"'{node.input(1)}' is unknown; export with kernel_shape set")
        node.attrs["kernel_shape"] = list(weight[2:])
    auto_pad = node.attrs.pop("auto_pad", "NOTSET")
    rank = len(node.attrs["kernel_shape"])
    if auto_pad == "VALID":
        node.attrs["pads"] = [0] * (2 * rank)
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        totals = _same_padding(node, auto_pad, rank)
        begins = [t // 2 if auto_pad == "SAME_UPPER" else t - t // 2 for t in totals]
        node.attrs["pads"] = begins + [t - b for t, b in zip(totals, begins)]
        node.attrs.pop("output_shape", None)
    elif auto_pad != "NOTSET":
        raise node.unsupported(f"has unknown auto_pad '{auto_pad}'")


def _same_padding(node: OnnxNode, auto_pad: str, rank: int) -> list[int]:
    """Total padding per spatial axis that makes the output ``ceil(size / stride)`` (or
    ``size * stride`` for ConvTranspose, unless ``output_shape`` says otherwise)."""
    x = node.inputs[0]
    shape = node.ctx.shape(x)
    spatial = shape[2:] if shape is not None else None
    if spatial is None or len(spatial) != rank or not all(isinstance(d, int) for d in spatial):
        raise node.unsupported(f"uses auto_pad={auto_pad} but input '{x}' has no static "
                               "spatial size; fix it with input_shapes= or export explicit pads")
    strides = node.attrs.get("strides") or [1] * rank
    dilations = node.attrs.get("dilations") or [1] * rank
    kernel = node.attrs["kernel_shape"]
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    if node.op != "ConvTranspose":
        outs = [-(-size // s) for size, s in zip(spatial, strides)]
        return [max((out - 1) * s + e - size, 0)
                for size, s, e, out in zip(spatial, strides, extents, outs)]
    targets = (node.attrs.get("output_shape") or [])[-rank:] or [
        size * s for size, s in zip(spatial, strides)]
    extra = node.attrs.get("output_padding") or [0] * rank
    return [max(s * (size - 1) + p + e - t, 0)
            for size, s, e, t, p in zip(spatial, strides, extents, targets, extra)]


def _constant_of_shape(node: OnnxNode) -> None:
    """The one-element ``value`` tensor becomes a scalar ``value`` and a ``dtype`` name."""
    value = node.attrs.pop("value", np.zeros(1, np.float32))
    node.attrs["value"] = value.reshape(-1)[0].item()
    node.attrs["dtype"] = value.dtype.name
