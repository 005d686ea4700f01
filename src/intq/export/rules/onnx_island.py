"""ONNX Runtime islands (``ops/onnx_island.py``) are written back as the node they were.

The carried ``NodeProto`` gets the exported tensor names; when the export's opset differs from
the one the node was imported at, ONNX's version converter adapts it first (GridSample's modes
were renamed in opset 20, for instance). Islands are float in both formats, so ``int`` and
``qdq`` write them alike.
"""

from __future__ import annotations

import onnx
from onnx import numpy_helper

from intq.export.builder import OnnxBuilder
from intq.export.registry import export_rule
from intq.ir.graph import Node
from intq.ops.onnx_island import ISLAND_OP, one_node_model


@export_rule("int", ISLAND_OP)
@export_rule("qdq", ISLAND_OP)
def island(b: OnnxBuilder, node: Node) -> None:
    graph = _at_opset(b, node).graph
    names = {f"in{i}": b.get(name) for i, name in enumerate(node.inputs) if name}
    names[""] = ""
    for init in graph.initializer:
        names[init.name] = b.const(numpy_helper.to_array(init), hint=init.name)
    for k, out in enumerate(node.outputs):
        names[f"out{k}"] = b.fresh(f"out{k}")
        b.dtypes[names[f"out{k}"]] = b.expected_dtype(out)
    for proto in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(proto)
        for name in [*proto.input, *proto.output]:
            if name not in names:
                names[name] = b.fresh(name)
        copy.input[:] = [names[i] for i in proto.input]
        copy.output[:] = [names[o] for o in proto.output]
        copy.name = b.fresh(node.name)
        b.nodes.append(copy)
    if node.attrs["domain"] not in ("", "ai.onnx"):
        b.domains[node.attrs["domain"]] = node.attrs["domain_version"]
    for k, out in enumerate(node.outputs):
        if out:
            b.set(out, names[f"out{k}"])


def _at_opset(b: OnnxBuilder, node: Node) -> onnx.ModelProto:
    types = [b.graph.values[i].type if i else None for i in node.inputs]
    model = one_node_model(node.attrs, types)
    if node.attrs["opset"] == b.opset:
        return model
    try:
        return onnx.version_converter.convert_version(model, b.opset)
    except Exception as exc:  # noqa: BLE001 - the converter's message names the adapter
        raise b.unsupported(f"its {node.attrs['op_type']} (opset {node.attrs['opset']}) has no "
                            f"opset-{b.opset} form ({str(exc).splitlines()[0]}); export with "
                            f"--opset {node.attrs['opset']}") from None
