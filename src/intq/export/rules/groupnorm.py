"""IntGroupNorm as int64 ONNX: rows of one group reshaped out, IntLayerNorm's own integer
steps (``layernorm.normalized``), then per-channel gamma/beta and one rounding shift."""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import clamp_cast, int64, round_shift
from intq.export.registry import export_rule
from intq.export.rules.layernorm import normalized
from intq.ir.graph import Node
from intq.quant.fixedpoint import int_range, storage_dtype


@export_rule("int", "IntGroupNorm")
def int_groupnorm(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    gain, bias = b.constant_of(node.inputs[1]), b.constant_of(node.inputs[2])
    if gain is None or bias is None:
        raise b.unsupported("gain and bias must be constants")
    x = b.get(node.inputs[0])
    groups, channels = int(attrs["groups"]), gain.size
    rows = b.op("Reshape", [int64(b, x), b.const([0, groups, -1], "int64", "group_rows")],
                hint="rows")
    x_hat = normalized(b, rows, -1, int(attrs["n"]), attrs)
    per_channel = b.op("Reshape", [x_hat, b.const([0, channels, -1], "int64", "channels")],
                       hint="per_channel")
    gain_c = b.const(gain.astype(np.int64).reshape(-1, 1), hint="gain")
    bias_c = b.const(bias.astype(np.int64).reshape(-1, 1), hint="bias")
    out = round_shift(b, b.op("Add", [b.op("Mul", [per_channel, gain_c]), bias_c]),
                      int(attrs["out_shift"]))
    lo, hi = int_range(attrs["bits"], bool(attrs["signed"]))
    dtype = storage_dtype(attrs["bits"], bool(attrs["signed"])).name
    y = clamp_cast(b, out, lo, hi, dtype)
    b.set(node.outputs[0], b.op("Reshape", [y, b.op("Shape", [x], "int64", "shape")]))
