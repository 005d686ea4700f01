"""IntLSTM: the recurrence in int64 ONNX arithmetic, unrolled over a static number of steps,
or as one ``Scan`` over a symbolic one.

Every step is the kernel's own integer steps (int64 ``MatMul`` for both gate projections,
``int_arith.round_shift`` per gate row, ``Gather`` from the sigmoid/tanh tables, the cell's
rounding shift and int32 clamp). A static sequence length is unrolled, so the graph has no
subgraph that optimizers may rewrite; a symbolic one (a stream of any length) runs the same
step as the body of a ``Scan`` (reading the time axis backwards for a reverse direction and
writing its outputs back in time order). The batch stays dynamic either way.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import clamp_cast, int64, round_shift
from intq.export.registry import export_rule
from intq.ir.graph import Node
from intq.ops.integer.recurrent import DIRECTIONS
from intq.quant.fixedpoint import int_range


@export_rule("int", "IntLSTM")
def int_lstm(b: OnnxBuilder, node: Node) -> None:
    x_name, w, r, bx, bh, h0, c0, sig, tanh = node.inputs
    shape = b.ir_shape(x_name)
    if shape is None:
        raise b.unsupported("the input's rank must be known")
    steps = shape[0] if isinstance(shape[0], int) else None
    consts = {n: b.constant_of(v) for n, v in (("w", w), ("r", r), ("bx", bx), ("bh", bh))}
    if any(c is None for c in consts.values()):
        raise b.unsupported("weights and biases must be constants")
    attrs = node.attrs
    x = int64(b, b.get(x_name))
    tables = [int64(b, b.get(sig)), int64(b, b.get(tanh))]
    h_dtype = b.expected_dtype(node.outputs[0])
    ys, hs, cs = [], [], []
    for d, reverse in enumerate(DIRECTIONS[attrs["direction"]]):
        h, c = (_initial(b, x, s, d, consts["w"][d]) for s in (h0, c0))
        zx = _projection(b, x, consts["w"][d], consts["bx"][d], attrs, "x", d)
        if steps is None:
            y, h, c = _scan(b, attrs, zx, h, c, consts["r"][d], consts["bh"][d], tables, d,
                            reverse)
            ys.append(_unsqueeze(b, y, [1]))
        else:
            y = [None] * steps
            for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
                x_t = b.op("Gather", [zx, b.const(t, "int64", "t")], axis=0)
                h, c = _step(b, attrs, x_t, h, c, consts["r"][d], consts["bh"][d], tables, d)
                y[t] = h
            ys.append(b.op("Concat", [_unsqueeze(b, v, [0, 1]) for v in y], axis=0))
        hs.append(_unsqueeze(b, h, [0]))
        cs.append(_unsqueeze(b, c, [0]))
    outs = [b.cast(b.op("Concat", ys, axis=1), h_dtype), b.cast(b.op("Concat", hs, axis=0),
                                                                h_dtype),
            b.cast(b.op("Concat", cs, axis=0), "int32")]
    for name, value in zip(node.outputs, outs):
        b.set(name, value)


def _scan(b: OnnxBuilder, attrs: dict, zx: str, h: str, c: str, r: np.ndarray, bh: np.ndarray,
          tables: list[str], d: int, reverse: bool) -> tuple[str, str, str]:
    """One direction over a symbolic number of steps: ``_step`` as the body of a Scan over
    the projected inputs ``zx`` [T, B, 4H]; returns Y [T, B, H] and the last h and c."""
    outer, b.nodes = b.nodes, []
    h_in, c_in, x_in = (b.fresh(n) for n in ("h_in", "c_in", "zx_t"))
    for name in (h_in, c_in, x_in):
        b.dtypes[name] = "int64"
    h_out, c_out = _step(b, attrs, x_in, h_in, c_in, r, bh, tables, d)
    y_out = b.op("Identity", [h_out], hint="y_t")
    body, b.nodes = b.nodes, outer

    def info(name: str) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, onnx.TensorProto.INT64, None)

    graph = helper.make_graph(body, b.fresh("step"), [info(h_in), info(c_in), info(x_in)],
                              [info(h_out), info(c_out), info(y_out)])
    h_last, c_last, y = b.ops("Scan", [h, c, zx], ["int64"] * 3, hint="scan", body=graph,
                              num_scan_inputs=1, scan_input_directions=[int(reverse)],
                              scan_output_directions=[int(reverse)])
    return y, h_last, c_last


def _initial(b: OnnxBuilder, x: str, state: str, d: int, w: np.ndarray) -> str:
    """Direction ``d`` of a given state as int64, or zeros [batch, hidden] (a product of the
    first step with zeros, so that the batch stays dynamic)."""
    if state:
        return b.op("Gather", [int64(b, b.get(state)), b.const(d, "int64", "d")], axis=0)
    first = b.op("Gather", [x, b.const(0, "int64", "t")], axis=0)
    hidden = w.shape[0] // 4
    return b.op("MatMul", [first, b.const(np.zeros((w.shape[-1], hidden), np.int64), hint="zeros")])


def _projection(b: OnnxBuilder, v: str, w: np.ndarray, bias: np.ndarray, attrs: dict,
                which: str, d: int) -> str:
    """``rq(v · wᵀ + bias)`` per gate row onto the gate grid, saturated to z_bits + 1."""
    acc = b.op("MatMul", [v, b.const(w.T.astype(np.int64), hint="w")])
    acc = b.op("Add", [acc, b.const(bias.astype(np.int64), hint="bias")])
    m = np.asarray(attrs["m" + which][d], np.int64)
    scaled = b.op("Mul", [acc, b.const(m, hint="m")])
    lo, hi = int_range(int(attrs["z_bits"]) + 1, True)
    return clamp_cast(b, round_shift(b, scaled, np.asarray(attrs["k" + which][d], np.int64)),
                      lo, hi, "int64")


def _step(b: OnnxBuilder, attrs: dict, zx: str, h: str, c: str, r: np.ndarray,
          bh: np.ndarray, tables: list[str], d: int) -> tuple[str, str]:
    z_bits, frac = int(attrs["z_bits"]), int(attrs["frac"])
    z_lo, z_hi = int_range(z_bits, True)
    zh = _projection(b, h, r, bh, attrs, "h", d)
    z = clamp_cast(b, b.op("Add", [zx, zh]), z_lo, z_hi, "int64")
    index = b.op("Sub", [z, b.const(z_lo, "int64", "z_lo")], hint="index")
    hidden = r.shape[-1]
    gates = b.ops("Split", [index, b.const([hidden] * 4, "int64", "split")], ["int64"] * 4,
                  axis=-1)
    sig, tanh = tables
    i, o, f = (b.op("Gather", [sig, g], axis=0) for g in gates[:3])
    g = b.op("Gather", [tanh, gates[3]], axis=0)
    cell = b.op("Add", [b.op("Mul", [f, c]), b.op("Mul", [i, g])])
    c_lo, c_hi = int_range(32, True)
    c = clamp_cast(b, round_shift(b, cell, frac), c_lo, c_hi, "int64")
    tc = b.op("Mul", [c, b.const(int(attrs["mc"][d]), "int64", "mc")])
    tc = clamp_cast(b, round_shift(b, tc, int(attrs["kc"][d])), z_lo, z_hi, "int64")
    tc = b.op("Gather", [tanh, b.op("Sub", [tc, b.const(z_lo, "int64", "z_lo")])], axis=0)
    y = b.op("Mul", [b.op("Mul", [o, tc]), b.const(int(attrs["my"][d]), "int64", "my")])
    h_lo, h_hi = int_range(int(attrs["h_bits"]), True)
    h = clamp_cast(b, round_shift(b, y, int(attrs["ky"][d])), h_lo, h_hi, "int64")
    return h, c


def _unsqueeze(b: OnnxBuilder, v: str, axes: list[int]) -> str:
    return b.op("Unsqueeze", [v, b.const(axes, "int64", "axes")])
