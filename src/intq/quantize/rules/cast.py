"""Cast of a small integer or bool tensor to float → the same integers at scale 1.

One-hot encodings and masks (``Equal`` → ``Cast`` to float) are integers in float clothes:
their values are already exact on the grid of scale 1, so the integer form is a Cast to the
storage dtype (bool → uint8) with ``QuantInfo(bits, signed, 1.0)``, and nothing rounds. Wider
integers (int32/int64) have no small range by their type; where calibration saw them inside
8 or 16 bits (an int64 attention mask of 0/1), they are clamped to that width and stored at
scale 1 — saturating at the calibrated range like every activation. Others stay float.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.ops.integer.ranges import IntRange
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers

STORAGE = {"bool": "uint8", "int8": "int8", "uint8": "uint8", "int16": "int16",
           "uint16": "uint16"}
"""Source dtypes whose values fit the activation path, and the dtype that stores them."""


@lowers("Cast")
def lower_cast(ctx: Lowering, node: Node) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    source = np.dtype(ctx.src.values[x].dtype).name
    if ctx.is_float(x) or not ctx.is_float(out):
        return False
    if source not in STORAGE:
        return _lower_wide_cast(ctx, node, source)
    storage = np.dtype(STORAGE[source])
    quant = QuantInfo(storage.itemsize * 8, storage.kind == "i", 1.0)
    value = ctx.emit("Cast", [ctx.plain(x)], {"to": storage.name}, name=node.name,
                     outputs=[ctx.int_name(out)], quant=[quant])[0]
    ctx.ranges[value] = IntRange.of(0, 1) if source == "bool" else IntRange.of_dtype(source)
    ctx.define(out, value)
    return True


def _lower_wide_cast(ctx: Lowering, node: Node, source: str) -> bool:
    """An int32/int64 tensor whose calibrated range fits 8 or 16 bits: Clip to that width in
    its own dtype, then Cast to the storage dtype, at scale 1."""
    x, out = node.inputs[0], node.outputs[0]
    observer = ctx.observers.get(out)
    if np.dtype(source).kind not in "iu" or observer is None or not observer.count:
        return False
    low, high = observer.min, observer.max
    storage = next((np.dtype(d) for d in ("uint8", "int8", "uint16", "int16")
                    if np.iinfo(d).min <= low and high <= np.iinfo(d).max), None)
    if storage is None:
        return False
    info = np.iinfo(storage)
    bounds = [ctx.add_const(f"{node.name}_{end}", np.array(v, dtype=source))
              for end, v in (("lo", info.min), ("hi", info.max))]
    clipped = ctx.emit("Clip", [ctx.plain(x), *bounds], name=f"{node.name}_clip")[0]
    quant = QuantInfo(storage.itemsize * 8, storage.kind == "i", 1.0)
    value = ctx.emit("Cast", [clipped], {"to": storage.name}, name=node.name,
                     outputs=[ctx.int_name(out)], quant=[quant])[0]
    ctx.ranges[value] = IntRange.of(int(info.min), int(info.max))
    ctx.define(out, value)
    return True
