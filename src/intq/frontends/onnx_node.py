"""One ONNX node on its way into the IR, and what a rewrite of it may ask of the import.

The importer decodes every ONNX node into an ``OnnxNode`` (attributes already plain Python),
lets the legacy and canonical-form rewrites reshape it, and only then turns it into an IR
node. Rewrites add constants and helper nodes through the node's ``ImportContext``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from intq.errors import UnsupportedOpError
from intq.ir.graph import DTYPES, Graph, Shape, Value
from intq.ops.onnx_island import CUT_ADVICE




@dataclass
class ImportContext:
    """Import-wide state a rewrite may use: the graph being built and ONNX's own shape
    inference over the model, run only when a rewrite first asks for a shape."""

    graph: Graph
    onnx_shapes: Callable[[], dict[str, Shape]]
    opsets: dict[str, int] = field(default_factory=dict)
    """The model's opset version per domain (what an ONNX Runtime island runs at)."""
    _shapes: dict[str, Shape] | None = field(default=None, init=False, repr=False)

    def shape(self, name: str) -> Shape:
        """Shape of ``name`` from the IR if it is a constant or input, else from ONNX."""
        if name in self.graph.constants or name in self.graph.inputs:
            return self.graph.values[name].shape
        if self._shapes is None:
            self._shapes = self.onnx_shapes()
        return self._shapes.get(name)


@dataclass
class OnnxNode:
    """A node in ONNX terms; ``version`` is the op's schema version in the model's opset."""

    op: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attrs: dict[str, Any]
    version: int
    ctx: ImportContext = field(repr=False)

    def constant(self, hint: str, array: Any) -> str:
        """Store ``array`` as a new graph constant named after this node."""
        return self.ctx.graph.add_constant(f"{self.name}_{hint}", np.asarray(array))

    def fresh(self, hint: str) -> str:
        """A new value name for an intermediate result of this node's rewrite."""
        name = self.ctx.graph.unique_name(f"{self.name}_{hint}")
        self.ctx.graph.values.setdefault(name, Value(name))
        return name

    def derive(self, op: str, inputs: list[str], outputs: list[str], hint: str,
               attrs: dict[str, Any] | None = None) -> OnnxNode:
        """A helper node that belongs to this node's rewrite (same version context)."""
        return OnnxNode(op, inputs, outputs, f"{self.name}_{hint}", dict(attrs or {}),
                        self.version, self.ctx)

    def input(self, index: int) -> str:
        return self.inputs[index] if index < len(self.inputs) else ""

    def set_input(self, index: int, name: str) -> None:
        while len(self.inputs) <= index:
            self.inputs.append("")
        self.inputs[index] = name

    def unsupported(self, why: str) -> UnsupportedOpError:
        return UnsupportedOpError(f"node '{self.name}' ({self.op}) {why}")


def decode_attrs(proto: onnx.NodeProto, node_name: str) -> dict[str, Any]:
    """ONNX attributes as Python values; tensors become arrays (rewrites turn them into
    constants or scalars), subgraphs mean control flow, which the IR does not have."""
    kinds = onnx.AttributeProto
    attrs: dict[str, Any] = {}
    for attr in proto.attribute:
        if attr.type in (kinds.GRAPH, kinds.GRAPHS):
            raise UnsupportedOpError(f"op type '{proto.op_type}' (node '{node_name}') is control "
                                     f"flow, which is not supported; {CUT_ADVICE}")
        if attr.type == kinds.TENSOR:
            attrs[attr.name] = tensor_to_array(attr.t, f"attribute '{attr.name}' of node "
                                                       f"'{node_name}'")
        elif attr.type in (kinds.SPARSE_TENSOR, kinds.SPARSE_TENSORS, kinds.TENSORS,
                           kinds.TYPE_PROTO, kinds.TYPE_PROTOS):
            raise UnsupportedOpError(f"node '{node_name}' ({proto.op_type}) attribute "
                                     f"'{attr.name}' has a type intq does not support")
        else:
            value = onnx.helper.get_attribute_value(attr)
            attrs[attr.name] = _plain(value)
    return attrs


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return float(value)
    return value


def tensor_to_array(tensor: onnx.TensorProto, what: str) -> np.ndarray:
    """A tensor's data as a NumPy array of one of the IR's dtypes."""
    dtype = onnx_dtype(tensor.data_type, what)
    return numpy_helper.to_array(tensor).astype(dtype, copy=False)


def onnx_dtype(elem_type: int, what: str) -> str:
    """The IR dtype name for an ONNX element type."""
    try:
        name = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).name
    except (KeyError, TypeError, ValueError):
        name = ""
    if name not in DTYPES:
        kinds = onnx.TensorProto.DataType
        label = kinds.Name(elem_type).lower() if elem_type in kinds.values() else elem_type
        raise UnsupportedOpError(f"{what} has dtype {label}, which intq does not support "
                                 f"(supported: {', '.join(DTYPES)})")
    return name
