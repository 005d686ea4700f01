"""IntLayerNorm: I-BERT's integer layer norm (``quant.nonlinear.layernorm``) in int64 ops.

``int``: ``n q - sum q``, each row's own shift from its bit length (a comparison against all
powers of two), the Newton ``i_sqrt`` unrolled (``int_arith.SQRT_STEPS``), the reciprocal
``2^61 // root`` and the folded gamma/beta, rounded exactly as the kernel rounds.

``qdq``: float LayerNormalization with gamma, beta and eps recovered from the plan's
integers (``gain = gamma sqrt(n) / s_out 2^(out_shift - NORM_FRAC_BITS)``, ``bias = beta /
s_out 2^out_shift``, ``eps_q = n^3 eps / s_in^2 4^max_left_shift``), fake-quantized.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import (along_axis, bit_length, clamp_cast, i_sqrt, int64, maximum,
                                   minimum, reduce_max, reduce_sum, round_shift, round_shift_by,
                                   shift_left_by)
from intq.export.qdq_builder import QdqBuilder
from intq.export.registry import export_rule
from intq.export.rules.linear import per_tensor
from intq.ir.graph import Node
from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.nonlinear.layernorm import NORM_FRAC_BITS, RECIPROCAL_BITS


@export_rule("int", "IntLayerNorm")
def int_layernorm(b: OnnxBuilder, node: Node) -> None:
    attrs = node.attrs
    gain, bias = b.constant_of(node.inputs[1]), b.constant_of(node.inputs[2])
    if gain is None or bias is None:
        raise b.unsupported("gain and bias must be constants")
    axis, n = int(attrs["axis"]), gain.size
    rank = b.rank(node.inputs[0]) if axis >= 0 else None
    x_hat = normalized(b, int64(b, b.get(node.inputs[0])), axis, n, attrs)
    gain_c = b.const(along_axis(gain.astype(np.int64), axis, rank), hint="gain")
    bias_c = b.const(along_axis(bias.astype(np.int64), axis, rank), hint="bias")
    out = round_shift(b, b.op("Add", [b.op("Mul", [x_hat, gain_c]), bias_c]),
                      int(attrs["out_shift"]))
    lo, hi = int_range(attrs["bits"], bool(attrs["signed"]))
    dtype = storage_dtype(attrs["bits"], bool(attrs["signed"])).name
    b.set(node.outputs[0], clamp_cast(b, out, lo, hi, dtype))


def normalized(b: OnnxBuilder, q: str, axis: int, n: int, attrs: dict) -> str:
    """``quant.nonlinear.layernorm.i_normalize`` of int64 ``q`` along ``axis`` (``n`` values):
    the ``NORM_FRAC_BITS`` fraction before gamma and beta."""
    in_bound = 1 << (int(attrs["in_bits"]) - 1)
    row_bits, max_left = int(attrs["row_bits"]), int(attrs["max_left_shift"])

    def c(value: int, hint: str) -> str:
        return b.const(value, "int64", hint)

    total = reduce_sum(b, q, [axis], 1, n, in_bound)
    d = b.op("Sub", [b.op("Mul", [q, c(n, "n")]), total], hint="dev")
    widest = bit_length(b, reduce_max(b, b.op("Abs", [d]), [axis], 2 * n * in_bound))
    shift = maximum(b, b.op("Sub", [widest, c(row_bits, "row_bits")]), c(-max_left, "max_left"))
    zero = c(0, "zero")
    right = maximum(b, shift, zero)
    left = maximum(b, b.op("Neg", [shift]), zero)
    y = shift_left_by(b, round_shift_by(b, d, right), left)
    eps_shift = minimum(b, b.op("Mul", [b.op("Add", [shift, c(max_left, "max_left_shift")]),
                                         c(2, "two")]), c(62, "max_shift"))
    eps = round_shift_by(b, c(attrs["eps"], "eps"), eps_shift)
    squares = reduce_sum(b, b.op("Mul", [y, y]), [axis], 1, n, 1 << (2 * row_bits))
    root = i_sqrt(b, b.op("Add", [squares, eps]))
    reciprocal = b.op("Div", [c(1 << RECIPROCAL_BITS, "one_q61"), maximum(b, root, c(1, "one"))])
    inverse = b.op("Where", [b.op("Greater", [root, zero], "bool"), reciprocal, zero],
                   hint="inverse")
    return round_shift(b, b.op("Mul", [y, inverse]), RECIPROCAL_BITS - NORM_FRAC_BITS)


@export_rule("qdq", "IntLayerNorm")
def int_layernorm_qdq(b: QdqBuilder, node: Node) -> None:
    attrs = node.attrs
    q, out = node.inputs[0], node.outputs[0]
    gain, bias = b.constant_of(node.inputs[1]), b.constant_of(node.inputs[2])
    if gain is None or bias is None:
        raise b.unsupported("gain and bias must be constants")
    rank = b.rank(q)
    if int(attrs["axis"]) % rank != rank - 1:
        raise b.unsupported("QDQ LayerNormalization normalizes the last axis only")
    n = gain.size
    scale = b.output_scale(out)
    in_scale = float(per_tensor(b, q))
    out_shift = int(attrs["out_shift"])
    gamma = gain * scale / (np.sqrt(n) * 2.0 ** (out_shift - NORM_FRAC_BITS))
    beta = bias * scale / 2.0**out_shift
    eps = int(attrs["eps"]) * in_scale**2 / (float(n) ** 3 * 4.0 ** int(attrs["max_left_shift"]))
    y = b.op("LayerNormalization", [b.real(q), b.const(gamma.astype(np.float32), hint="gamma"),
                                    b.const(beta.astype(np.float32), hint="beta")],
             "float32", "norm", axis=-1, epsilon=float(eps))
    r = b.fake_quantize(y, scale, int(attrs["bits"]), bool(attrs["signed"]))
    b.set_real(out, r, np.asarray(scale))
