"""``--format qdq``: float ops between QuantizeLinear/DequantizeLinear pairs (not bit-exact).

Every quantized IR value becomes its real value (``QdqBuilder``); integer ops become their
float counterparts (IntConv → Conv on dequantized int8 weights, IntSoftmax → Softmax,
IntLayerNorm → LayerNormalization with the folded gamma/beta/eps recovered) and every
requantization a fake quantization with the graph's own scale. This is the form TensorRT,
OpenVINO and ONNX Runtime's QDQ fusions turn back into integer kernels; they round with
float scales, so results are close to intq's, not identical.
"""

from __future__ import annotations

import onnx

from intq.export.qdq_builder import QdqBuilder
from intq.export.walk import export_nodes
from intq.ir.graph import Graph


def qdq_model(graph: Graph, opset: int) -> onnx.ModelProto:
    b = QdqBuilder(graph, opset)
    export_nodes(b, "qdq")
    for name in graph.outputs:
        if b.is_real(name):
            b.env[name] = b.quantize_output(name)
    return b.model(graph.outputs, "intq QDQ export: close to intq's integer runtime, NOT "
                   "bit-exact")
