"""Quantize and Dequantize, the float edges of an integer graph.

``int``: 8-bit Quantize is ``QuantizeLinear`` (zero point 0), which divides in float32, rounds
half to even and saturates exactly as ``quant.qparams.quantize`` does; other widths spell the
same steps out (Div, Round, Clip). Dequantize is ``float32(q) * float32(scale)``: a Cast and
one Mul, a single float32 rounding like ``DequantizeLinear``, for every integer dtype.

``qdq``: Quantize is a QuantizeLinear/DequantizeLinear pair on the input's grid; Dequantize
keeps the real value (rescaled if its scale differs from the value's own).
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import along_axis, clamp_cast
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.ir.graph import Node
from intq.quant.fixedpoint import int_range, storage_dtype


def quantize(b: OnnxBuilder, x: str, scale: float, bits: int, signed: bool) -> str:
    """``saturate(round_half_even(x / scale))`` dividing in x's float precision (at least
float32), in the storage dtype. The float clip at a power of two keeps the cast exact."""
    lo, hi = int_range(bits, signed)
    dtype = storage_dtype(bits, signed).name
    ftype = "float64" if b.dtype(x) == "float64" else "float32"
    x = b.cast(x, ftype)
    scale_c = b.const(scale, ftype, "scale")
    if dtype in ("int8", "uint8") and ftype == "float32":
        q = b.op("QuantizeLinear", [x, scale_c, b.const(0, dtype, "zero_point")], dtype)
        if (lo, hi) == (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)):
            return q
        return b.op("Clip", [q, b.const(lo, dtype, "lo"), b.const(hi, dtype, "hi")])
    rounded = b.op("Round", [b.op("Div", [x, scale_c])])
    clipped = b.op("Clip", [rounded, b.const(float(lo), ftype, "lo"),
                            b.const(float(1 << (bits - signed)), ftype, "hi")])
    return clamp_cast(b, b.cast(clipped, "int64"), lo, hi, dtype)


def dequantize(b: OnnxBuilder, q: str, scale: float | list[float], axis: int, rank: int
               ) -> str:
    """``float32(q) * float32(scale)``; a list ``scale`` is per channel along ``axis``."""
    scale_array = np.asarray(scale, dtype=np.float32)
    if scale_array.ndim:
        shape = [1] * rank
        shape[axis] = scale_array.size
        scale_array = scale_array.reshape(shape)
    return b.op("Mul", [b.cast(q, "float32"), b.const(scale_array, hint="scale")])


@export_rule("int", "Quantize")
def quantize_int(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    b.set(node.outputs[0], quantize(b, b.get(node.inputs[0]), float(attrs["scale"]),
                                    int(attrs["bits"]), bool(attrs["signed"])))


@export_rule("int", "Dequantize")
def dequantize_int(b: OnnxBuilder, node: Node) -> None:
    scale = node.attrs["scale"]
    rank = b.rank(node.inputs[0]) if isinstance(scale, list) else 0
    b.set(node.outputs[0], dequantize(b, b.get(node.inputs[0]), scale, node.attrs["axis"], rank))


@export_rule("qdq", "Quantize")
def quantize_qdq(b: QdqBuilder, node: Node) -> None:
    attrs = node.attrs
    scale = float(attrs["scale"])
    r = b.fake_quantize(b.cast(b.get(node.inputs[0]), "float32"), scale, int(attrs["bits"]),
                        bool(attrs["signed"]))
    b.set_real(node.outputs[0], r, np.asarray(scale))


@export_rule("qdq", "Dequantize")
def dequantize_qdq(b: QdqBuilder, node: Node) -> None:
    source = node.inputs[0]
    scale = np.asarray(node.attrs["scale"], dtype=np.float64)
    if scale.ndim:
        scale = along_axis(scale, node.attrs["axis"], b.rank(source))
    b.set(node.outputs[0], b.rescale(b.real(source), scale / b.scale_of(source)))
