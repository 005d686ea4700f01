"""Requantize: ``clamp(floor((acc * m + 2^(k-1)) / 2^k), lo, hi)`` in int64 ONNX arithmetic.

``int``: Cast to int64, Mul by ``m``, the exact rounding shift of ``int_arith.round_shift``
(Add, Mod, Sub, Div), Clip to ``[lo, hi]``, Cast to the storage dtype. Per-channel ``m``/``k``
become constants shaped to broadcast along the channel axis.

``qdq``: the real accumulator times ``(m / 2^k) * s_out / s_acc`` (left out when it is 1, as
for a plain rescale), then QuantizeLinear/DequantizeLinear on the output grid, after a float
Clip when a fused Relu/Clip narrowed ``[lo, hi]`` below the dtype's range.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import along_axis, clamp_cast, int64, round_shift
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.ir.graph import Node
from intq.quant.fixedpoint import storage_dtype


def requantize_params(b: OnnxBuilder, node: Node) -> tuple[np.ndarray, np.ndarray]:
    """``m`` and ``k`` of a Requantize node, shaped to broadcast against its accumulator."""
    m, k = b.constant_of(node.inputs[1]), b.constant_of(node.inputs[2])
    if m is None or k is None:
        raise b.unsupported("m and k must be constants")
    size = max(m.size, k.size)
    m = np.broadcast_to(np.asarray(m, dtype=np.int64).reshape(-1), (size,))
    k = np.broadcast_to(np.asarray(k, dtype=np.int64).reshape(-1), (size,))
    axis = int(node.attrs["axis"])
    rank = b.rank(node.inputs[0]) if size > 1 and axis >= 0 else None
    return along_axis(m, axis, rank), along_axis(k, axis, rank)


@export_rule("int", "Requantize")
def requantize_int(b: OnnxBuilder, node: Node) -> None:
    m, k = requantize_params(b, node)
    acc = int64(b, b.get(node.inputs[0]))
    scaled = b.op("Mul", [acc, b.const(m, hint="m")]) if (m != 1).any() else acc
    y = round_shift(b, scaled, k)
    attrs = node.attrs
    dtype = storage_dtype(attrs["bits"], bool(attrs["signed"])).name
    b.set(node.outputs[0], clamp_cast(b, y, int(attrs["lo"]), int(attrs["hi"]), dtype))


@export_rule("qdq", "Requantize")
def requantize_qdq(b: QdqBuilder, node: Node) -> None:
    m, k = requantize_params(b, node)
    acc, out = node.inputs[0], node.outputs[0]
    scale = b.output_scale(out)
    attrs = node.attrs
    r = b.rescale(b.real(acc), m / 2.0**k * scale / b.scale_of(acc))
    r = b.fake_quantize(r, scale, int(attrs["bits"]), bool(attrs["signed"]), int(attrs["lo"]),
                        int(attrs["hi"]))
    b.set_real(out, r, np.asarray(scale))
