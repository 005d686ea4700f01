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

from typing import Any

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

    def step(x_t: str, h: str, c: str, r_d: np.ndarray, bh_d: np.ndarray, tables: list[str],
             d: int) -> tuple[str, ...]:
        return _step(b, node.attrs, x_t, h, c, r_d, bh_d, tables, d)

    ys, finals = _recurrence(b, node, x_name, (w, r, bx, bh), (h0, c0), (sig, tanh), step)
    h_dtype = b.expected_dtype(node.outputs[0])
    outs = [b.cast(ys, h_dtype), b.cast(finals[0], h_dtype), b.cast(finals[1], "int32")]
    for name, value in zip(node.outputs, outs):
        b.set(name, value)


@export_rule("int", "IntGRU")
def int_gru(b: OnnxBuilder, node: Node) -> None:
    x_name, w, r, bx, bh, h0, sig, tanh = node.inputs

    def step(x_t: str, h: str, r_d: np.ndarray, bh_d: np.ndarray, tables: list[str], d: int
             ) -> tuple[str, ...]:
        return (_gru_step(b, node.attrs, x_t, h, r_d, bh_d, tables, d),)

    ys, finals = _recurrence(b, node, x_name, (w, r, bx, bh), (h0,), (sig, tanh), step)
    h_dtype = b.expected_dtype(node.outputs[0])
    for name, value in zip(node.outputs, [b.cast(ys, h_dtype), b.cast(finals[0], h_dtype)]):
        b.set(name, value)


def _recurrence(b: OnnxBuilder, node: Node, x_name: str, params: tuple[str, ...],
                states: tuple[str, ...], table_names: tuple[str, str], step: Any
                ) -> tuple[str, list[str]]:
    """Every direction of a gated recurrence: Y [T, D, B, H] and each final state [D, B, H].
    ``step(x_t, *states, r_d, bh_d, tables, d)`` returns the new states (the first is h)."""
    shape = b.ir_shape(x_name)
    if shape is None:
        raise b.unsupported("the input's rank must be known")
    steps = shape[0] if isinstance(shape[0], int) else None
    w, r, bx, bh = (b.constant_of(v) for v in params)
    if any(c is None for c in (w, r, bx, bh)):
        raise b.unsupported("weights and biases must be constants")
    x = int64(b, b.get(x_name))
    tables = [int64(b, b.get(t)) for t in table_names]
    ys, finals = [], [[] for _ in states]
    for d, reverse in enumerate(DIRECTIONS[node.attrs["direction"]]):
        current = [_initial(b, x, s, d, w.shape[-1], r.shape[-1]) for s in states]
        zx = _projection(b, x, w[d], bx[d], node.attrs, "x", d)

        def step_d(x_t: str, *state: str) -> tuple[str, ...]:
            return step(x_t, *state, r[d], bh[d], tables, d)

        if steps is None:
            y, current = _scan(b, step_d, zx, current, reverse)
            ys.append(_unsqueeze(b, y, [1]))
        else:
            y = [None] * steps
            for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
                x_t = b.op("Gather", [zx, b.const(t, "int64", "t")], axis=0)
                current = list(step_d(x_t, *current))
                y[t] = current[0]
            ys.append(b.op("Concat", [_unsqueeze(b, v, [0, 1]) for v in y], axis=0))
        for final, state in zip(finals, current):
            final.append(_unsqueeze(b, state, [0]))
    return (b.op("Concat", ys, axis=1),
            [b.op("Concat", final, axis=0) for final in finals])


def _scan(b: OnnxBuilder, step: Any, zx: str, states: list[str], reverse: bool
          ) -> tuple[str, list[str]]:
    """One direction over a symbolic number of steps: ``step`` as the body of a Scan over
    the projected inputs ``zx`` [T, B, G]; returns Y [T, B, H] and the last states."""
    outer, b.nodes = b.nodes, []
    state_in = [b.fresh(f"state{i}_in") for i in range(len(states))]
    x_in = b.fresh("zx_t")
    for name in (*state_in, x_in):
        b.dtypes[name] = "int64"
    state_out = list(step(x_in, *state_in))
    y_out = b.op("Identity", [state_out[0]], hint="y_t")
    body, b.nodes = b.nodes, outer

    def info(name: str) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, onnx.TensorProto.INT64, None)

    graph = helper.make_graph(body, b.fresh("step"), [info(n) for n in (*state_in, x_in)],
                              [info(n) for n in (*state_out, y_out)])
    outs = b.ops("Scan", [*states, zx], ["int64"] * (len(states) + 1), hint="scan",
                 body=graph, num_scan_inputs=1, scan_input_directions=[int(reverse)],
                 scan_output_directions=[int(reverse)])
    return outs[-1], outs[:-1]


def _initial(b: OnnxBuilder, x: str, state: str, d: int, inputs: int, hidden: int) -> str:
    """Direction ``d`` of a given state as int64, or zeros [batch, hidden] (a product of the
    first step with zeros, so that the batch stays dynamic)."""
    if state:
        return b.op("Gather", [int64(b, b.get(state)), b.const(d, "int64", "d")], axis=0)
    first = b.op("Gather", [x, b.const(0, "int64", "t")], axis=0)
    return b.op("MatMul", [first, b.const(np.zeros((inputs, hidden), np.int64), hint="zeros")])


def _projection(b: OnnxBuilder, v: str, w: np.ndarray, bias: np.ndarray, attrs: dict,
                which: str, d: int) -> str:
    """``rq(v · wᵀ + bias)`` per gate row onto the gate grid, saturated to z_bits + 1."""
    return _project(b, v, w, bias, attrs, which, d, slice(None))


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


def _gru_step(b: OnnxBuilder, attrs: dict, zx: str, h: str, r: np.ndarray, bh: np.ndarray,
              tables: list[str], d: int) -> str:
    """``ops.integer.recurrent.gru_step`` in int64 ONNX arithmetic."""
    z_bits, frac, h_bits = int(attrs["z_bits"]), int(attrs["frac"]), int(attrs["h_bits"])
    z_lo, z_hi = int_range(z_bits, True)
    hidden = r.shape[-1]
    sig, tanh = tables
    zx_zr, zx_n = b.ops("Split", [zx, b.const([2 * hidden, hidden], "int64", "split")],
                        ["int64"] * 2, axis=-1)
    gates = slice(0, 2 * hidden)
    zh = _project(b, h, r[gates], bh[gates], attrs, "h", d, gates)
    z = clamp_cast(b, b.op("Add", [zx_zr, zh]), z_lo, z_hi, "int64")
    index = b.op("Sub", [z, b.const(z_lo, "int64", "z_lo")], hint="index")
    update, reset = (b.op("Gather", [sig, g], axis=0) for g in b.ops(
        "Split", [index, b.const([hidden] * 2, "int64", "split")], ["int64"] * 2, axis=-1))
    rows = slice(2 * hidden, 3 * hidden)
    w_n = b.const(r[rows].T.astype(np.int64), hint="r_n")
    b_n = b.const(bh[rows].astype(np.int64), hint="bh_n")
    if int(attrs["linear_before_reset"]):
        acc = b.op("Add", [b.op("MatMul", [h, w_n]), b_n])
        recurrent = round_shift(b, b.op("Mul", [reset, acc]), frac)
    else:
        reset_h = round_shift(b, b.op("Mul", [reset, h]), frac)
        recurrent = b.op("Add", [b.op("MatMul", [reset_h, w_n]), b_n])
    n = _requantize_rows(b, recurrent, attrs, "h", d, rows)
    n = clamp_cast(b, b.op("Add", [zx_n, n]), z_lo, z_hi, "int64")
    candidate = b.op("Gather", [tanh, b.op("Sub", [n, b.const(z_lo, "int64", "z_lo")])],
                     axis=0)
    q = int_range(h_bits, True)[1]
    keep = b.op("Sub", [b.const(1 << frac, "int64", "one"), update])
    total = b.op("Add", [b.op("Mul", [b.op("Mul", [keep, candidate]), b.const(q, "int64", "q")]),
                         b.op("Mul", [b.op("Mul", [update, h]),
                                      b.const(1 << frac, "int64", "one")])])
    h_lo, h_hi = int_range(h_bits, True)
    return clamp_cast(b, round_shift(b, total, 2 * frac), h_lo, h_hi, "int64")


def _project(b: OnnxBuilder, v: str, w: np.ndarray, bias: np.ndarray, attrs: dict,
             which: str, d: int, rows: slice) -> str:
    """``rq(v · wᵀ + bias)`` for the gate ``rows`` of one projection's multipliers."""
    acc = b.op("Add", [b.op("MatMul", [v, b.const(w.T.astype(np.int64), hint="w")]),
                       b.const(bias.astype(np.int64), hint="bias")])
    return _requantize_rows(b, acc, attrs, which, d, rows)


def _requantize_rows(b: OnnxBuilder, acc: str, attrs: dict, which: str, d: int, rows: slice
                     ) -> str:
    """An accumulator over gate ``rows`` requantized per row onto the gate grid, saturated to
    z_bits + 1 (the kernel's ``requantize``)."""
    m = np.asarray(attrs["m" + which][d], np.int64)[rows]
    k = np.asarray(attrs["k" + which][d], np.int64)[rows]
    scaled = b.op("Mul", [acc, b.const(m, hint="m")])
    lo, hi = int_range(int(attrs["z_bits"]) + 1, True)
    return clamp_cast(b, round_shift(b, scaled, k), lo, hi, "int64")


def _unsqueeze(b: OnnxBuilder, v: str, axes: list[int]) -> str:
    return b.op("Unsqueeze", [v, b.const(axes, "int64", "axes")])
