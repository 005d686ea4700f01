"""IntZeroInsert as ONNX data movement, so an integer ConvTranspose exports exactly.

ONNX Runtime has no integer ConvTranspose; the quantizer already rewrote it as zero insertion
followed by an ``IntConv`` (exported by ``linear``). Zero insertion is Unsqueeze (a unit axis
after each spatial axis), Pad (``s - 1`` zeros at the end of that axis), Reshape (merging the
pair, target shape ``Shape(x) * [1, 1, s...]`` so no static size is needed) and one Slice
that drops the trailing ``s - 1`` zeros together with any negative pads; positive pads are a
final zero Pad. Only data movement touches the values, so the result is bit-identical.
"""

from __future__ import annotations

from intq.export.builder import OnnxBuilder
from intq.export.ort_support import emit_widened
from intq.export.registry import export_rule
from intq.export.windows import END, pad_spatial
from intq.ir.graph import Node


def spread(b: OnnxBuilder, x: str, strides: list[int]) -> str:
    """``x`` with ``s - 1`` zeros after every element along each spatial axis."""
    rank = len(strides)
    if all(s == 1 for s in strides):
        return x
    axes = [3 + 2 * i for i in range(rank)]
    pairs = b.op("Unsqueeze", [x, b.const(axes, "int64", "axes")], hint="pairs")
    ends = [0, 0] + [v for s in strides for v in (0, s - 1)]
    fill = b.const(0, b.dtype(x), "zero")
    padded = emit_widened(b, "Pad", [pairs, b.const([0] * len(ends) + ends, "int64", "pads"),
                                     fill], [b.dtype(x)], mode="constant")[0]
    shape = b.op("Mul", [b.op("Shape", [x], hint="shape"),
                         b.const([1, 1, *strides], "int64", "strides")], hint="spread_shape")
    return b.op("Reshape", [padded, shape], hint="spread")


@export_rule("int", "IntZeroInsert")
def int_zero_insert(b: OnnxBuilder, node: Node) -> None:
    strides, pads = list(node.attrs["strides"]), list(node.attrs["pads"])
    rank = len(strides)
    y = spread(b, b.get(node.inputs[0]), strides)
    starts = [max(-p, 0) for p in pads[:rank]]
    cuts = [s - 1 + max(-p, 0) for s, p in zip(strides, pads[rank:])]
    if any(starts) or any(cuts):
        y = b.op("Slice", [y, b.const(starts, "int64", "starts"),
                           b.const([-c if c else END for c in cuts], "int64", "ends"),
                           b.const(list(range(2, 2 + rank)), "int64", "axes")], hint="crop")
    y = pad_spatial(b, y, [max(p, 0) for p in pads])
    b.set(node.outputs[0], y)
