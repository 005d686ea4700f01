"""LayerNormalization over the last axis → IntLayerNorm (I-BERT: integer mean and variance,
``i_sqrt``, γ and β folded into one per-channel multiply-add and one rounding)."""

from __future__ import annotations

from intq.ir.graph import Node
from intq.ops.integer.layernorm import layernorm_attrs
from intq.quant.nonlinear.layernorm import plan_i_layernorm
from intq.quantize.context import Lowering
from intq.quantize.errors import QuantizeError
from intq.quantize.rules.registry import lowers
from intq.quantize.rules.signed import signed_form


@lowers("LayerNormalization")
def lower_layer_norm(ctx: Lowering, node: Node) -> bool:
    x, out = node.inputs[0], node.outputs[0]
    gamma, beta = (ctx.constant(i) for i in (node.inputs + ["", ""])[1:3])
    shape = ctx.src.values[x].shape
    if (not ctx.is_float(x) or shape is None or not isinstance(shape[-1], int)
            or node.attrs["axis"] % len(shape) != len(shape) - 1 or gamma is None
            or (len(node.inputs) > 2 and node.inputs[2] and beta is None)
            or any(o and (ctx.uses.users(o) or o in ctx.src.outputs) for o in node.outputs[1:])):
        return False
    n = shape[-1]
    if gamma.size != n or (beta is not None and beta.size != n):
        return False
    value = signed_form(ctx, ctx.integer(x))
    quant = ctx.quant(value)
    target = ctx.act_quant(out, ctx.act_bits(node))
    try:
        plan = plan_i_layernorm(quant.scale, quant.bits, n, gamma.reshape(-1),
                                None if beta is None else beta.reshape(-1),
                                float(node.attrs["epsilon"]), target.scale, target.bits,
                                target.signed)
    except ValueError as exc:
        raise QuantizeError(f"node '{node.name}' (LayerNormalization): {exc}") from None
    gain = ctx.add_const(f"{node.name}_gain", plan.gain)
    bias = ctx.add_const(f"{node.name}_bias", plan.bias)
    ctx.define(out, ctx.emit("IntLayerNorm", [value, gain, bias], layernorm_attrs(plan, -1),
                             name=node.name, outputs=[ctx.int_name(out)], quant=[target])[0])
    return True
