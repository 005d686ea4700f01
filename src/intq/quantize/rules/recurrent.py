"""LSTM → IntLSTM and GRU → IntGRU: one integer op per node, its constants planned by
``lstm_plan`` / ``gru_plan``.

Lowered: layout 0, the default activations (Sigmoid, Tanh, Tanh for an LSTM; Sigmoid, Tanh
for a GRU), no clip, no coupled input and forget gates, no peepholes, constant W/R/B, any
direction, either ``linear_before_reset``, initial states given or absent.
Any other form returns False and stays float. A ``sequence_lens`` that is not the constant
full length would need per-sample masking the integer op does not do: that is an error naming
the node (restore it), never a silent float fallback that changes what ``run`` computes.

The outputs have data-independent grids: Y and Y_h on ``1/(2^(h_bits-1)-1)`` (h lies in
(-1, 1)), Y_c at ``2^-frac`` in int32; only X's calibrated grid enters the plan.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Node, QuantInfo
from intq.ops.integer.recurrent import gru_plan, lstm_plan
from intq.quant.fixedpoint import int_range
from intq.quantize.context import Lowering
from intq.quantize.rules.registry import lowers

DEFAULT_ACTIVATIONS = {"LSTM": ("sigmoid", "tanh", "tanh"), "GRU": ("sigmoid", "tanh")}


@lowers("LSTM")
def lower_lstm(ctx: Lowering, node: Node) -> bool:
    inputs = list(node.inputs) + [""] * (8 - len(node.inputs))
    x, w_name, r_name, b_name, lens, h0, c0, peep = inputs
    w, r = ctx.constant(w_name), ctx.constant(r_name)
    b = ctx.constant(b_name) if b_name else None
    if not _lowerable(ctx, node, x, w, r, b_name, b, peep) or node.attrs["input_forget"]:
        return False
    _check_sequence_lens(ctx, node, x, lens)
    xq = ctx.integer(x)
    consts, attrs = lstm_plan(w, r, b, ctx.quant(xq).scale, node.attrs["direction"])
    h_quant = QuantInfo(attrs["h_bits"], True, 1.0 / int_range(attrs["h_bits"], True)[1])
    c_quant = QuantInfo(32, True, 2.0 ** -attrs["frac"])
    names = [ctx.add_const(f"{node.name}_{n}", a)
             for n, a in zip(("w", "r", "bx", "bh", "sig", "tanh"), consts)]
    states = [ctx.integer_at(h0, h_quant) if h0 else "",
              ctx.integer_at(c0, c_quant) if c0 else ""]
    outputs = [ctx.int_name(o) if o else ctx.fresh(f"{node.name}_unused{i}")
               for i, o in enumerate(node.outputs)]
    outputs += [ctx.fresh(f"{node.name}_unused{i}") for i in range(len(outputs), 3)]
    emitted = ctx.emit("IntLSTM", [xq, *names[:4], *states, *names[4:]], attrs,
                       name=node.name, outputs=outputs, quant=[h_quant, h_quant, c_quant])
    for source, value in zip(node.outputs, emitted):
        if source:
            ctx.define(source, value)
    return True


@lowers("GRU")
def lower_gru(ctx: Lowering, node: Node) -> bool:
    inputs = list(node.inputs) + [""] * (6 - len(node.inputs))
    x, w_name, r_name, b_name, lens, h0 = inputs
    w, r = ctx.constant(w_name), ctx.constant(r_name)
    b = ctx.constant(b_name) if b_name else None
    if not _lowerable(ctx, node, x, w, r, b_name, b, ""):
        return False
    _check_sequence_lens(ctx, node, x, lens)
    xq = ctx.integer(x)
    consts, attrs = gru_plan(w, r, b, ctx.quant(xq).scale, node.attrs["direction"],
                             node.attrs["linear_before_reset"])
    h_quant = QuantInfo(attrs["h_bits"], True, 1.0 / int_range(attrs["h_bits"], True)[1])
    names = [ctx.add_const(f"{node.name}_{n}", a)
             for n, a in zip(("w", "r", "bx", "bh", "sig", "tanh"), consts)]
    state = ctx.integer_at(h0, h_quant) if h0 else ""
    outputs = [ctx.int_name(o) if o else ctx.fresh(f"{node.name}_unused{i}")
               for i, o in enumerate(node.outputs)]
    outputs += [ctx.fresh(f"{node.name}_unused{i}") for i in range(len(outputs), 2)]
    emitted = ctx.emit("IntGRU", [xq, *names[:4], state, *names[4:]], attrs, name=node.name,
                       outputs=outputs, quant=[h_quant, h_quant])
    for source, value in zip(node.outputs, emitted):
        if source:
            ctx.define(source, value)
    return True


def _lowerable(ctx: Lowering, node: Node, x: str, w: np.ndarray | None, r: np.ndarray | None,
               b_name: str, b: np.ndarray | None, peep: str) -> bool:
    attrs = node.attrs
    names = [a.lower() for a in attrs["activations"]]
    dirs = 2 if attrs["direction"] == "bidirectional" else 1
    return (ctx.is_float(x) and w is not None and r is not None
            and (not b_name or b is not None) and not peep and attrs["layout"] == 0
            and attrs["clip"] is None
            and names in ([], list(DEFAULT_ACTIVATIONS[node.op]) * dirs)
            and all(np.isfinite(a).all() for a in (w, r, b) if a is not None))


def _check_sequence_lens(ctx: Lowering, node: Node, x: str, lens: str) -> None:
    """Accept an absent or constant full-length ``sequence_lens``; refuse anything else."""
    if not lens:
        return
    steps = (ctx.src.values[x].shape or [None])[0]
    value = ctx.constant(lens)
    if value is None or not isinstance(steps, int) or (np.asarray(value) != steps).any():
        raise ValueError(f"sequence_lens shorter than the sequence is not supported by the "
                         f"integer {node.op}; drop the input if every sequence has full length")
