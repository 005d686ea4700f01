"""ONNX frontend: an ONNX model (opset 11-21; older when it converts) becomes an IR graph.

Loading, checking and lifting old opsets live in onnx_load.py. Each node is decoded, its
legacy form rewritten (onnx_legacy.py) and given the IR's canonical form (onnx_canonical.py);
then shapes are inferred and the graph validated. Importing never writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx

from intq.errors import InputError, UnsupportedOpError
from intq.frontends.onnx_canonical import canonicalize
from intq.frontends.onnx_legacy import upgrade
from intq.frontends.onnx_load import STANDARD_DOMAINS, ModelSource, lift_opset, load_model
from intq.frontends.onnx_node import (ImportContext, OnnxNode, decode_attrs,
                                      onnx_dtype, tensor_to_array)
from intq.ir.graph import Dim, Graph, Node, Shape, Value
from intq.ops import infer_shapes, registry
from intq.ops.onnx_island import CUT_ADVICE, ISLAND_OP, encode_node

_CONTROL_FLOW = ("If", "Loop", "Scan")


def import_onnx(model: ModelSource, *,
                input_shapes: Mapping[str, Sequence[Dim | None]] | None = None) -> Graph:
    """Import ``model`` (a path, serialized bytes or a ``ModelProto``) as an IR graph.

    ``input_shapes`` fixes or renames input dimensions (``{"x": [1, 3, 224, 224]}``; ``None``
    keeps the model's dimension).
    """
    proto, label = load_model(model)
    proto, source_opset, opset, lifted_by = lift_opset(proto)
    graph = _build(proto, opset, label, input_shapes or {})
    graph.meta.update({
        "source": "onnx",
        "source_opset": source_opset,
        "opset": opset,
        "opset_upgrade": lifted_by,
        "producer": f"{proto.producer_name} {proto.producer_version}".strip(),
        "ir_version": int(proto.ir_version),
    })
    return graph


def unsupported_nodes(model: ModelSource) -> list[tuple[str, str]]:
    """Every node (op type, node name) that stops ``model`` from importing, not just the first."""
    proto, label = load_model(model)
    proto, _, opset, _ = lift_opset(proto)
    found: list[tuple[str, str]] = []
    _build(proto, opset, label, {}, unsupported=found)
    return found


def _build(proto: onnx.ModelProto, opset: int, label: str,
           input_shapes: Mapping[str, Sequence[Dim | None]],
           unsupported: list[tuple[str, str]] | None = None) -> Graph:
    """Build the IR graph; with an ``unsupported`` list, record unsupported nodes there and
    go on (the graph is then incomplete and left unchecked)."""
    onnx_graph = proto.graph
    graph = Graph(onnx_graph.name or "graph")
    if onnx_graph.sparse_initializer:
        raise UnsupportedOpError(f"{label} has sparse initializers, which intq does not "
                                 "support; store them dense")
    for tensor in onnx_graph.initializer:
        graph.add_constant(tensor.name, tensor_to_array(tensor, f"initializer '{tensor.name}'"),
                           exact_name=True)
    _add_inputs(graph, onnx_graph, dict(input_shapes), label)
    used = {name for node in onnx_graph.node for name in node.input}
    used.update(out.name for out in onnx_graph.output)
    ctx = ImportContext(graph, lambda: _onnx_shapes(proto, graph),
                        {o.domain: int(o.version) for o in proto.opset_import})
    functions = {(f.domain, f.name) for f in proto.functions}
    node_names: set[str] = set()
    for index, proto_node in enumerate(onnx_graph.node):
        name = proto_node.name or f"{proto_node.op_type}_{index}"
        try:
            _import_node(graph, proto_node, name, opset, functions, used, ctx, node_names)
        except UnsupportedOpError:
            if unsupported is None:
                raise
            unsupported.append((proto_node.op_type, name))
    graph.outputs = [out.name for out in onnx_graph.output]
    if unsupported is not None:
        return graph
    graph.prune()
    infer_shapes(graph)
    graph.validate()
    return graph


def _import_node(graph: Graph, proto_node: onnx.NodeProto, name: str, opset: int,
                 functions: set, used: set[str], ctx: ImportContext, node_names: set[str]
                 ) -> None:
    """Decode, upgrade and canonicalize the node into IR nodes; a node the IR cannot express
    (op type outside the registry, attribute form the float reference lacks) becomes one
    ONNX Runtime island instead (``ops/onnx_island.py``)."""
    _check_supported(proto_node, name, functions)
    if proto_node.op_type == "Constant" and proto_node.domain in STANDARD_DOMAINS:
        attrs = decode_attrs(proto_node, name)
        graph.add_constant(proto_node.output[0], _constant_value(attrs, name), exact_name=True)
        return
    outputs = _node_outputs(proto_node, name, used, graph)
    try:
        parts = _ir_parts(proto_node, name, outputs, opset, ctx)
    except UnsupportedOpError as exc:
        parts = [(island(proto_node, name, outputs, opset, ctx, str(exc)), None)]
    for part, attrs in parts:
        _append(graph, part, node_names, attrs)


def _ir_parts(proto_node: onnx.NodeProto, name: str, outputs: list[str], opset: int,
              ctx: ImportContext) -> list[tuple[OnnxNode, dict[str, Any]]]:
    """The IR nodes (with normalized attributes) of one ONNX node, or UnsupportedOpError
    saying why the IR cannot express it."""
    if proto_node.domain not in STANDARD_DOMAINS:
        raise UnsupportedOpError(f"intq has no float reference for {_op_label(proto_node)}")
    node = OnnxNode(proto_node.op_type, list(proto_node.input), outputs, name,
                    decode_attrs(proto_node, name), _schema_version(proto_node.op_type, opset),
                    ctx)
    parts = []
    for part in upgrade(node):
        canonicalize(part)
        if not registry.is_registered(part.op):
            raise UnsupportedOpError(f"intq has no float reference for {part.op}")
        parts.append((part, _ir_attrs(part)))
    return parts


def island(proto_node: onnx.NodeProto, name: str, outputs: list[str], opset: int,
           ctx: ImportContext, reason: str) -> OnnxNode:
    """The ``OnnxIsland`` standing for ``proto_node``: the node itself, serialized."""
    domain = proto_node.domain
    attrs = {"node": encode_node(proto_node, len(outputs)), "op_type": proto_node.op_type,
             "opset": opset, "domain": domain, "domain_version": ctx.opsets.get(domain, 0),
             "reason": reason}
    return OnnxNode(ISLAND_OP, list(proto_node.input), outputs, name, attrs, opset, ctx)


def _op_label(proto_node: onnx.NodeProto) -> str:
    domain = proto_node.domain
    return f"{domain}.{proto_node.op_type}" if domain not in STANDARD_DOMAINS else \
        proto_node.op_type


def _add_inputs(graph: Graph, onnx_graph: onnx.GraphProto,
                overrides: dict[str, Sequence[Dim | None]], label: str) -> None:
    """Graph inputs that are also initializers (IR version < 4) are constants, not inputs."""
    for info in onnx_graph.input:
        if info.name in graph.constants:
            continue
        dtype, shape = _value_type(info)
        if info.name in overrides:
            shape = _override(info.name, shape, overrides.pop(info.name))
        graph.add_input(info.name, dtype, shape)
    if overrides:
        raise InputError(f"input_shapes names {sorted(overrides)}, which are not inputs of "
                         f"{label} (its inputs: {graph.inputs})")


def _value_type(info: onnx.ValueInfoProto) -> tuple[str, Shape]:
    kind = info.type.WhichOneof("value")
    if kind != "tensor_type":
        raise UnsupportedOpError(f"graph input '{info.name}' is a {kind.removesuffix('_type')}, "
                                 "but intq supports tensor inputs only")
    tensor_type = info.type.tensor_type
    dtype = onnx_dtype(tensor_type.elem_type, f"graph input '{info.name}'")
    if not tensor_type.HasField("shape"):
        return dtype, None
    dims: list[Dim] = []
    for axis, dim in enumerate(tensor_type.shape.dim):
        if dim.HasField("dim_value") and dim.dim_value > 0:
            dims.append(int(dim.dim_value))
        elif dim.dim_param and dim.dim_param != "?":
            dims.append(dim.dim_param)
        else:
            dims.append(f"{info.name}_dim{axis}")  # paddle2onnx's -1, 0 and "?" are dynamic
    return dtype, tuple(dims)


def _override(name: str, declared: Shape, given: Sequence[Dim | None]) -> Shape:
    given = list(given)
    if declared is not None and len(declared) != len(given):
        raise InputError(f"input_shapes gives input '{name}' rank {len(given)}, but the model "
                         f"declares shape {list(declared)}")
    shape = []
    for axis, dim in enumerate(given):
        old = declared[axis] if declared is not None else None
        if dim is None:
            dim = old if old is not None else f"{name}_dim{axis}"
        elif isinstance(old, int) and dim != old:
            raise InputError(f"input_shapes gives input '{name}' axis {axis} size {dim}, but "
                             f"the model fixes it to {old}")
        shape.append(dim)
    return tuple(shape)


def _check_supported(proto_node: onnx.NodeProto, name: str, functions: set) -> None:
    op = proto_node.op_type
    if (proto_node.domain, op) in functions:
        raise UnsupportedOpError(f"op type '{op}' (node '{name}') is an ONNX function, which "
                                 f"is not supported; {CUT_ADVICE}")
    kinds = onnx.AttributeProto
    if op in _CONTROL_FLOW or any(a.type in (kinds.GRAPH, kinds.GRAPHS)
                                  for a in proto_node.attribute):
        raise UnsupportedOpError(f"op type '{op}' (node '{name}') is control flow, which is "
                                 f"not supported; {CUT_ADVICE}")


def _constant_value(attrs: dict[str, Any], name: str) -> np.ndarray:
    ((key, value),) = attrs.items()
    if key == "value":
        return value
    if key in ("value_float", "value_floats"):
        return np.asarray(value, np.float32)
    if key in ("value_int", "value_ints"):
        return np.asarray(value, np.int64)
    raise UnsupportedOpError(f"Constant node '{name}' holds {key}, which intq does not support")


def _node_outputs(proto_node: onnx.NodeProto, name: str, used: set[str], graph: Graph
                  ) -> list[str]:
    """Outputs without trailing unused ones (Dropout's mask, LSTM's last states); an omitted
    output in between gets a fresh name, since IR outputs are never empty."""
    outputs = list(proto_node.output)
    while outputs and outputs[-1] not in used:
        outputs.pop()
    for i, out in enumerate(outputs):
        if not out:
            outputs[i] = graph.unique_name(f"{name}_unused{i}")
            graph.values[outputs[i]] = Value(outputs[i])
    return outputs


def _schema_version(op: str, opset: int) -> int:
    try:
        return onnx.defs.get_schema(op, opset, "").since_version
    except onnx.defs.SchemaError:
        return opset


def _ir_attrs(node: OnnxNode) -> dict[str, Any]:
    attrs = registry.normalize_attrs(node.op, node.attrs, node.name)
    for key, value in attrs.items():
        if isinstance(value, np.ndarray):
            raise node.unsupported(f"has tensor attribute '{key}', which intq does not support")
    return attrs


def _append(graph: Graph, node: OnnxNode, node_names: set[str],
            attrs: dict[str, Any] | None = None) -> None:
    attrs = _ir_attrs(node) if attrs is None else attrs
    name = _unique(node.name, node_names)
    for out in node.outputs:
        graph.values.setdefault(out, Value(out))
    graph.nodes.append(Node(node.op, list(node.inputs), list(node.outputs), name, attrs))


def _unique(name: str, taken: set[str]) -> str:
    candidate, k = name, 0
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    taken.add(candidate)
    return candidate


def _onnx_shapes(proto: onnx.ModelProto, graph: Graph) -> dict[str, Shape]:
    """ONNX's own shape inference over the model (inputs as the IR declares them), for the
    few rewrites that depend on a shape; an unknown dimension is ``"?"``."""
    model = onnx.ModelProto()
    model.CopyFrom(proto)
    del model.graph.value_info[:]
    for info in model.graph.input:
        shape = graph.values[info.name].shape if info.name in graph.inputs else None
        if shape is not None:
            dims = info.type.tensor_type.shape.dim
            del dims[:]
            for d in shape:
                dims.add(**({"dim_value": d} if isinstance(d, int) else {"dim_param": d}))
    try:
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # noqa: BLE001 - without ONNX's shapes the rewrites ask for explicit ones
        return {}
    shapes: dict[str, Shape] = {}
    for info in [*model.graph.value_info, *model.graph.output, *model.graph.input]:
        tensor_type = info.type.tensor_type
        if tensor_type.HasField("shape"):
            shapes[info.name] = tuple(
                int(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
                for d in tensor_type.shape.dim)
    return shapes
