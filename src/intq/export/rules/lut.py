"""IntLUT: ``table[q - in_lo]`` as an ONNX Gather from the table constant.

``qdq``: the real input is quantized back to its integers (exact: it is a dequantized
integer), the table gathered and its entries dequantized with the output scale.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import int64
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import per_tensor
from intq.ir.graph import Node


def _index(b: OnnxBuilder, q: str, in_lo: int) -> str:
    index = int64(b, q)
    if in_lo:
        index = b.op("Sub", [index, b.const(in_lo, "int64", "in_lo")], hint="index")
    return index


@export_rule("int", "IntLUT")
def int_lut(b: OnnxBuilder, node: Node) -> None:
    index = _index(b, b.get(node.inputs[0]), int(node.attrs["in_lo"]))
    b.set(node.outputs[0], b.op("Gather", [b.get(node.inputs[1]), index], axis=0))


@export_rule("qdq", "IntLUT")
def int_lut_qdq(b: QdqBuilder, node: Node) -> None:
    q, out = node.inputs[0], node.outputs[0]
    table = b.constant_of(node.inputs[1])
    in_dtype = b.graph.values[q].dtype
    if table is None or table.dtype.name not in ("int8", "uint8") or \
            in_dtype not in ("int8", "uint8"):
        raise b.unsupported("QDQ lookup tables need an 8-bit input and a constant 8-bit table")
    scale_c = b.const(float(per_tensor(b, q)), "float32", "scale")
    index = b.op("QuantizeLinear", [b.real(q), scale_c, b.const(0, in_dtype, "zero_point")],
                 in_dtype, "index")
    values = b.op("Gather", [b.get(node.inputs[1]), _index(b, index, int(node.attrs["in_lo"]))],
                  table.dtype.name, axis=0)
    scale = b.output_scale(out)
    r = b.op("DequantizeLinear", [values, b.const(scale, "float32", "scale"),
                                  b.const(0, table.dtype.name, "zero_point")], "float32")
    b.set_real(out, r, np.asarray(scale))
