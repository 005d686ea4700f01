"""IR nodes of ONNX op types back to ONNX nodes of the target opset: the importer's inverse.

The IR keeps the latest opset's form (Reduce* axes as an input, Split's ``num_outputs``,
dtype names instead of enums). Writing an older opset moves constant axes back into the
attribute, drops attributes that are at their default, and refuses anything else by name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import defs, helper, numpy_helper

from intq.export.builder import OnnxBuilder
from intq.ops.registry import get_op

DROPPABLE = {("Split", "num_outputs"), ("ConstantOfShape", "dtype")}
"""Attributes the ONNX form implies: Split into equal parts by its output count (before
opset 18), ConstantOfShape's dtype by the dtype of its ``value`` tensor."""


def schema(b: OnnxBuilder, op_type: str) -> defs.OpSchema:
    """The op's schema in the builder's opset; the node's export error if it has none."""
    try:
        return defs.get_schema(op_type, b.opset)
    except defs.SchemaError:
        raise b.unsupported(f"op type {op_type} does not exist in opset {b.opset}; export "
                            "with a newer opset") from None


def onnx_form(b: OnnxBuilder, op_type: str, ir_attrs: dict[str, Any], inputs: list[str],
              consts: list[np.ndarray | None]) -> tuple[list[str], dict[str, Any]]:
    """ONNX inputs and attributes, in the builder's opset, of an IR op with attributes
    ``ir_attrs`` on ``inputs`` (``consts``: the values of constant inputs, else ``None``)."""
    op_schema = schema(b, op_type)
    defaults = get_op(op_type).attrs
    attrs: dict[str, Any] = {}
    for key, value in ir_attrs.items():
        if value is None or value == []:
            continue
        if key in op_schema.attributes:
            attrs[key] = _onnx_value(op_type, ir_attrs, key, value)
        elif not ((op_type, key) in DROPPABLE or (not callable(defaults.get(key))
                                                  and defaults.get(key) == value)):
            raise b.unsupported(f"attribute {key}={value!r} needs a newer opset than "
                                f"{b.opset}")
    if len(inputs) > op_schema.max_input and "axes" in op_schema.attributes:
        axes = consts[1]
        if axes is None and inputs[1]:
            raise b.unsupported(f"axes must be a constant in opset {b.opset}")
        if axes is not None:
            attrs["axes"] = [int(a) for a in np.ravel(axes)]
        inputs = inputs[:1]
    while inputs and inputs[-1] == "":
        inputs = inputs[:-1]
    return inputs, attrs


def _onnx_value(op_type: str, ir_attrs: dict[str, Any], key: str, value: Any) -> Any:
    if (op_type, key) in (("Cast", "to"), ("EyeLike", "dtype")):
        return helper.np_dtype_to_tensor_dtype(np.dtype(value))
    if op_type == "ConstantOfShape" and key == "value":
        return numpy_helper.from_array(np.array([value], dtype=ir_attrs["dtype"]), "value")
    return value


def is_onnx_op(op_type: str) -> bool:
    return onnx.defs.has(op_type)
