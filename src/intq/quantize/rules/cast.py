"""Cast of a small integer or bool tensor to float → the same integers at scale 1.

One-hot encodings and masks (``Equal`` → ``Cast`` to float) are integers in float clothes:
their values are already exact on the grid of scale 1, so the integer form is a Cast to the
storage dtype (bool → uint8) with ``QuantInfo(bits, signed, 1.0)``, and nothing rounds. Wider
integers (int32/int64 ids) have no proven small range and stay as they are (float).
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
    if ctx.is_float(x) or not ctx.is_float(out) or source not in STORAGE:
        return False
    storage = np.dtype(STORAGE[source])
    quant = QuantInfo(storage.itemsize * 8, storage.kind == "i", 1.0)
    value = ctx.emit("Cast", [ctx.plain(x)], {"to": storage.name}, name=node.name,
                     outputs=[ctx.int_name(out)], quant=[quant])[0]
    ctx.ranges[value] = IntRange.of(0, 1) if source == "bool" else IntRange.of_dtype(source)
    ctx.define(out, value)
    return True
