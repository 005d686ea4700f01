"""IntSqrt: ``rs(q · m, k)``, the unrolled integer Newton root (``int_arith.i_sqrt``), its
rounding shift and the clamp, in int64 as the kernel computes.

``qdq``: float Sqrt of the real input, on the output's grid.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import clamp_cast, i_sqrt, int64, maximum, round_shift
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.ir.graph import Node


@export_rule("int", "IntSqrt")
def int_sqrt(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    q = maximum(b, int64(b, b.get(node.inputs[0])), b.const(0, "int64", "zero"))
    t = round_shift(b, b.op("Mul", [q, b.const(int(attrs["m"]), "int64", "m")]),
                    int(attrs["k"]))
    root = round_shift(b, i_sqrt(b, t), int(attrs["frac"]))
    bits = int(attrs["bits"])
    b.set(node.outputs[0], clamp_cast(b, root, 0, (1 << bits) - 1,
                                      b.expected_dtype(node.outputs[0])))


@export_rule("qdq", "IntSqrt")
def int_sqrt_qdq(b: QdqBuilder, node: Node) -> None:
    x, out = node.inputs[0], node.outputs[0]
    root = b.op("Sqrt", [b.op("Relu", [b.real(x)], "float32")], "float32", "sqrt")
    b.set_real(out, root, np.asarray(b.output_scale(out)))
