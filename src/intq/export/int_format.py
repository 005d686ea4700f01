"""``--format int``: the integer graph as ONNX that ONNX Runtime runs bit-identically.

Every IR node is written by its ``int`` rule (``export/rules/``), or kept as the ONNX op of
the same type. With ``raw`` the outputs are the integers that the output Dequantize nodes
read (``intq run --raw``), and those Dequantize nodes are left out.
"""

from __future__ import annotations

import onnx

from intq.export.builder import OnnxBuilder
from intq.export.walk import export_nodes
from intq.ir.graph import Graph, Value


def raw_outputs(graph: Graph) -> Graph:
    """A copy of ``graph`` whose outputs are the inputs of its output Dequantize nodes, one
    per output like ``QuantizedModel.run_int`` (a repeated one through an Identity)."""
    raw = graph.copy()
    producers = raw.producers()
    raw.outputs = []
    for name in graph.outputs:
        node = producers.get(name)
        source = node.inputs[0] if node is not None and node.op == "Dequantize" else name
        if source in raw.outputs:
            copy = raw.add_node("Identity", [source], 1, name=f"{source}_again").outputs[0]
            raw.values[copy] = Value(copy, raw.values[source].dtype, raw.values[source].shape,
                                     raw.values[source].quant)
            source = copy
        raw.outputs.append(source)
    raw.prune()
    return raw


def int_model(graph: Graph, raw: bool, opset: int) -> onnx.ModelProto:
    if raw:
        graph = raw_outputs(graph)
    b = OnnxBuilder(graph, opset)
    export_nodes(b, "int")
    return b.model(graph.outputs, "intq integer export: bit-identical to intq's runtime"
                   + (" (raw integer outputs)" if raw else ""))
