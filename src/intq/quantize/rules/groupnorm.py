"""InstanceNormalization and GroupNormalization → IntGroupNorm (the integer layer norm's mean,
variance and ``i_sqrt`` per group row; gamma and beta folded per channel, one rounding).

The plan depends on the row length ``C / groups * prod(spatial)``, so the channel and spatial
sizes must be static; otherwise the node stays float.
"""

from __future__ import annotations

import math

import numpy as np

from intq.ir.graph import Node
from intq.ops.integer.groupnorm import groupnorm_attrs
from intq.quant.nonlinear.layernorm import plan_i_layernorm
from intq.quantize.context import Lowering
from intq.quantize.errors import QuantizeError
from intq.quantize.rules.registry import lowers
from intq.quantize.rules.signed import signed_form


@lowers("InstanceNormalization", "GroupNormalization")
def lower_group_norm(ctx: Lowering, node: Node) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    shape = ctx.src.values[x].shape
    gamma, beta = ctx.constant(node.inputs[1]), ctx.constant(node.inputs[2])
    if (not ctx.is_float(x) or x in ctx.src.constants or shape is None or len(shape) < 2
            or not all(isinstance(d, int) for d in shape[1:]) or gamma is None or beta is None):
        return False
    channels = shape[1]
    groups = channels if node.op == "InstanceNormalization" else int(node.attrs["num_groups"])
    if groups < 1 or channels % groups:
        return False
    gamma, beta = (per_channel(v, channels, groups) for v in (gamma, beta))
    if gamma is None or beta is None:
        return False
    value = signed_form(ctx, ctx.integer(x))
    quant = ctx.quant(value)
    target = ctx.act_quant(out, ctx.act_bits(node))
    n = channels // groups * math.prod(shape[2:])
    try:
        plan = plan_i_layernorm(quant.scale, quant.bits, n, gamma, beta,
                                float(node.attrs["epsilon"]), target.scale, target.bits,
                                target.signed, channels=channels)
    except ValueError as exc:
        raise QuantizeError(f"node '{node.name}' ({node.op}): {exc}") from None
    gain = ctx.add_const(f"{node.name}_gain", plan.gain)
    bias = ctx.add_const(f"{node.name}_bias", plan.bias)
    ctx.define(out, ctx.emit("IntGroupNorm", [value, gain, bias], groupnorm_attrs(plan, groups),
                             name=node.name, outputs=[ctx.int_name(out)], quant=[target])[0])
    return True


def per_channel(values: np.ndarray, channels: int, groups: int) -> np.ndarray | None:
    """Scale or bias as one float64 value per channel (opset 18's per-group values repeated),
    or ``None`` when it is neither."""
    flat = values.astype(np.float64).reshape(-1)
    if flat.size == groups and groups != channels:
        flat = np.repeat(flat, channels // groups)
    return flat if flat.size == channels and np.isfinite(flat).all() else None
