"""Resize on integers: nearest is data movement (input's grid); linear becomes IntResize.

Linear resizing is a convex combination of neighbours, so it stays on the input's grid with
integer weights and one rounding (``ops.integer.resize``). Lowered when the scales (or the
sizes, with static input lengths on the resized axes) are constants, the coordinate mode is
one IntResize implements and there is no anti-aliasing; other instances stay float.
"""

from __future__ import annotations

from intq.ir.graph import Node
from intq.ops.integer.resize import COORDINATE_MODES, TERM_LIMIT, scale_fraction
from intq.ops.resize import resize_plan
from intq.quantize.context import Lowering
from intq.quantize.rules.movement import pass_through
from intq.quantize.rules.registry import lowers

FRAC_BITS = 12
"""Weight fraction bits: a weight's rounding moves an 8-bit output by at most 2^-5 of a step."""


@lowers("Resize")
def lower_resize(ctx: Lowering, node: Node) -> bool:
    if node.attrs["mode"] == "nearest":
        return pass_through(ctx, node)
    if node.attrs["mode"] != "linear":
        return False
    attrs = linear_attrs(ctx, node)
    if attrs is None:
        return False
    value = ctx.integer(node.inputs[0])
    out = node.outputs[0]
    ctx.define(out, ctx.emit("IntResize", [value], attrs, name=node.name,
                             outputs=[ctx.int_name(out)], quant=[ctx.quant(value)])[0])
    return True


def linear_attrs(ctx: Lowering, node: Node) -> dict | None:
    """IntResize attributes for a linear Resize node, or ``None`` when it stays float."""
    x = node.inputs[0]
    shape = ctx.src.values[x].shape
    a = node.attrs
    if (not ctx.is_float(x) or x in ctx.src.constants or shape is None or a["antialias"]
            or a["coordinate_transformation_mode"] not in COORDINATE_MODES):
        return None
    params = [ctx.constant(i) if i else None for i in (node.inputs + ["", "", ""])[1:4]]
    if any(i and p is None for i, p in zip((node.inputs + ["", "", ""])[1:4], params)):
        return None
    sized = params[2] is not None and params[2].size > 0
    try:
        out, factors = resize_plan(shape, a, params[1], params[2])
        axes = [i for i, f in enumerate(factors) if f != 1.0]
        for i in axes:
            scale_fraction(factors[i])
    except ValueError:
        return None
    if not axes or (sized and any(not isinstance(shape[i], int) or out[i] >= TERM_LIMIT
                                  for i in range(len(shape)) if out[i] != shape[i])):
        return None
    return {"axes": axes, "scales": [factors[i] for i in axes],
            "lengths": [int(out[i]) for i in axes] if sized else [],
            "mode": a["coordinate_transformation_mode"], "frac_bits": FRAC_BITS}
