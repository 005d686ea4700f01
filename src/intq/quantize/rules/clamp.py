"""Clip on integers: its bounds move onto the input's grid (rounded), the data stays put."""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers


@lowers("Clip")
def lower_clip(ctx: Lowering, node: Node) -> bool:
    x = node.inputs[0]
    bounds = (node.inputs + ["", ""])[1:3]
    if not ctx.is_float(x) or any(b and (ctx.constant(b) is None or ctx.constant(b).size != 1)
                                  for b in bounds):
        return False
    value = ctx.integer(x)
    quant = ctx.quant(value)
    info = np.iinfo(np.dtype(ctx.out.values[value].dtype))
    inputs = [value]
    for bound in bounds:
        if not bound:
            inputs.append("")
            continue
        q = np.clip(np.rint(float(ctx.constant(bound).reshape(())) / quant.scale), info.min,
                    info.max)
        inputs.append(ctx.add_const(f"{bound}_q", np.array(q, dtype=info.dtype)))
    out = node.outputs[0]
    ctx.define(out, ctx.emit("Clip", inputs, node.attrs, name=node.name,
                             outputs=[ctx.int_name(out)], quant=[quant])[0])
    return True
