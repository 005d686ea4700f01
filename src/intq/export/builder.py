"""The ONNX graph under construction, as export rules see it.

Rules read IR values with ``get`` and publish results with ``set``: the builder maps IR value
names to ONNX tensor names, so a rule may emit many ONNX nodes (or none, for an alias) per IR
node. Every emitted tensor's dtype is tracked because ONNX Runtime's CPU kernels support
different integer dtypes per op, and rules insert the Casts that exactness needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from intq.errors import UnsupportedOpError
from intq.ir.graph import Graph, Node


class OnnxBuilder:
    """Nodes and initializers of one ONNX graph being written from the IR graph ``graph``."""

    def __init__(self, graph: Graph, opset: int) -> None:
        self.graph = graph
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.dtypes: dict[str, str] = {}
        self.domains: dict[str, int] = {}
        """Opset versions of the non-default domains emitted nodes use (ONNX Runtime islands)."""
        self.env: dict[str, str] = {}
        self.node: Node | None = None
        self._taken = set(graph.values) | {n.name for n in graph.nodes}
        self._consts: dict[tuple[str, tuple[int, ...], bytes], str] = {}
        self._rule_start = 0
        for name in graph.inputs:
            self.env[name] = name
            self.dtypes[name] = graph.values[name].dtype

    # ---- naming -------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A tensor name unused so far, scoped by the IR node being exported."""
        base = f"{self.node.name}/{hint}" if self.node is not None else hint
        name, count = base, 0
        while name in self._taken:
            count += 1
            name = f"{base}_{count}"
        self._taken.add(name)
        return name

    # ---- IR values ----------------------------------------------------------------------
    def begin(self, node: Node) -> None:
        self.node = node
        self._rule_start = len(self.nodes)

    def get(self, ir_name: str) -> str:
        """The ONNX tensor holding IR value ``ir_name`` (constants become initializers)."""
        if ir_name == "":
            return ""
        if ir_name not in self.env:
            if ir_name not in self.graph.constants:
                raise RuntimeError(f"IR value '{ir_name}' is read before it is exported")
            array = self.graph.constants[ir_name]
            self.initializers.append(numpy_helper.from_array(array, ir_name))
            self.dtypes[ir_name] = array.dtype.name
            self.env[ir_name] = ir_name
        return self.env[ir_name]

    def get_as(self, ir_name: str, dtype: str) -> str:
        """IR value ``ir_name`` in ``dtype``: a converted initializer for a constant (so no
        Cast runs at inference), a Cast otherwise."""
        array = self.constant_of(ir_name)
        if array is not None and array.dtype.name != dtype:
            return self.const(array.astype(dtype), hint=ir_name)
        return self.cast(self.get(ir_name), dtype)

    def constant_of(self, ir_name: str) -> np.ndarray | None:
        return self.graph.constants.get(ir_name) if ir_name else None

    def set(self, ir_name: str, tensor: str) -> None:
        """Publish ``tensor`` as IR value ``ir_name``; its dtype must be the IR's.

        A tensor made by this rule is renamed to the IR name, which keeps exported models
        readable: the IR's value names appear in them.
        """
        want = self.expected_dtype(ir_name)
        if self.dtypes[tensor] != want:
            raise RuntimeError(f"export of node '{self.node.name}' ({self.node.op}) made "
                               f"{self.dtypes[tensor]} for '{ir_name}', the IR says {want}")
        made_here = any(tensor in n.output for n in self.nodes[self._rule_start:])
        if made_here and ir_name not in self.dtypes:
            self._rename(tensor, ir_name)
            tensor = ir_name
        self.env[ir_name] = tensor

    def expected_dtype(self, ir_name: str) -> str:
        """The dtype the exported tensor of an IR value must have: the IR's own."""
        return self.graph.values[ir_name].dtype

    def _rename(self, old: str, new: str) -> None:
        """Rename a tensor made since the current rule began (since the start when no rule
        runs), with every reference to it."""
        for node in self.nodes[self._rule_start:]:
            node.input[:] = [new if i == old else i for i in node.input]
            node.output[:] = [new if o == old else o for o in node.output]
        self.dtypes[new] = self.dtypes.pop(old)
        self.env = {k: new if v == old else v for k, v in self.env.items()}
        self._taken.add(new)

    def dtype(self, tensor: str) -> str:
        return self.dtypes[tensor]

    def ir_shape(self, ir_name: str) -> tuple[Any, ...] | None:
        return self.graph.values[ir_name].shape

    def rank(self, ir_name: str) -> int:
        """Rank of an IR value; rules that need it refuse an unknown one."""
        shape = self.ir_shape(ir_name)
        if shape is None:
            raise self.unsupported(f"needs the rank of '{ir_name}', which is unknown")
        return len(shape)

    # ---- emitting -----------------------------------------------------------------------
    def const(self, array: Any, dtype: str | None = None, hint: str = "c") -> str:
        """An initializer holding ``array`` (shared between identical small constants)."""
        array = np.asarray(array, dtype=dtype)
        key = (array.dtype.name, array.shape, array.tobytes()) if array.size <= 64 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), name))
        self.dtypes[name] = array.dtype.name
        if key is not None:
            self._consts[key] = name
        return name

    def op(self, op_type: str, inputs: Sequence[str], dtype: str | None = None,
           hint: str | None = None, **attrs: Any) -> str:
        """Emit a one-output node; ``dtype`` (default: input 0's) is its output's dtype."""
        return self.ops(op_type, inputs, [dtype or self.dtypes[inputs[0]]], hint, **attrs)[0]

    def ops(self, op_type: str, inputs: Sequence[str], dtypes: Sequence[str | None],
            hint: str | None = None, **attrs: Any) -> list[str]:
        """Emit a node with one output per entry of ``dtypes`` (``None``: output omitted)."""
        outs = [self.fresh(hint or op_type.lower()) if d is not None else "" for d in dtypes]
        for out, d in zip(outs, dtypes):
            if d is not None:
                self.dtypes[out] = d
        while outs and outs[-1] == "":
            outs.pop()
        name = self.fresh(f"{hint or op_type}_node")
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=name, **attrs))
        return outs

    def cast(self, tensor: str, dtype: str) -> str:
        if self.dtypes[tensor] == dtype:
            return tensor
        return self.op("Cast", [tensor], dtype, "cast",
                       to=helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    # ---- the model ----------------------------------------------------------------------
    def model(self, outputs: list[str], doc: str) -> onnx.ModelProto:
        """The finished model with graph outputs named after the IR ``outputs``."""
        self.node = None
        self._rule_start = 0
        out_infos = []
        for ir_name in outputs:
            tensor = self.env[ir_name]
            if tensor != ir_name:
                if ir_name in self.dtypes and ir_name not in self.graph.inputs \
                        and ir_name not in self.graph.constants:
                    self._rename(ir_name, self.fresh(f"{ir_name}_inner"))
                produced = any(tensor in n.output for n in self.nodes)
                if produced and tensor not in outputs and ir_name not in self.dtypes:
                    self._rename(tensor, ir_name)
                else:
                    self.dtypes[ir_name] = self.dtypes[tensor]
                    self.nodes.append(helper.make_node("Identity", [tensor], [ir_name],
                                                       name=self.fresh(f"{ir_name}_out")))
            out_infos.append(self._value_info(ir_name, ir_name))
        used = _inputs_read(self.nodes)
        graph = helper.make_graph(
            self.nodes, self.graph.name, [self._value_info(i, i) for i in self.graph.inputs],
            out_infos, [t for t in self.initializers if t.name in used], doc_string=doc)
        opsets = [helper.make_opsetid("", self.opset),
                  *(helper.make_opsetid(d, v) for d, v in sorted(self.domains.items()))]
        return helper.make_model(graph, opset_imports=opsets, producer_name="intq",
                                 ir_version=helper.find_min_ir_version_for(opsets))

    def _value_info(self, ir_name: str, tensor: str) -> onnx.ValueInfoProto:
        shape = self.graph.values[ir_name].shape
        dims = None if shape is None else [None if d == "?" else d for d in shape]
        elem = helper.np_dtype_to_tensor_dtype(np.dtype(self.dtypes[tensor]))
        return helper.make_tensor_value_info(tensor, elem, dims)

    def unsupported(self, why: str) -> UnsupportedOpError:
        """The one-line error for a node this export cannot write exactly."""
        if self.node is None:
            return UnsupportedOpError(f"graph '{self.graph.name}' cannot be exported to ONNX: "
                                      f"{why}")
        return UnsupportedOpError(f"node '{self.node.name}' ({self.node.op}) cannot be exported "
                                  f"to ONNX: {why}")


def _inputs_read(nodes: Sequence[onnx.NodeProto]) -> set[str]:
    """Every tensor the nodes read, inside their subgraphs (a Scan body) too."""
    used: set[str] = set()
    for node in nodes:
        used.update(node.input)
        for attr in node.attribute:
            for graph in [attr.g] if attr.type == onnx.AttributeProto.GRAPH else attr.graphs:
                used |= _inputs_read(graph.node)
    return used
