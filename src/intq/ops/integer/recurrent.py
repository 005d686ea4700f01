"""IntLSTM and IntGRU: ONNX LSTM and GRU (layout 0, default activations) on integers, one op
per node.

One op rather than an unrolled graph keeps the recurrence's semantics in one home and lets
the reference vectorise over the batch while looping over time. Per step and direction:

- ``z = sat_z(rq(x·Wᵀ + bx; mx, kx) + rq(h·Rᵀ + bh; mh, kh))``: both gate matmuls are exact
  int64 accumulations, each requantized per gate row (per-channel weights) to the gate grid
  (saturated to ``z_bits + 1`` bits, their sum to ``z_bits``);
- ``i, o, f = sig[z]``, ``g = tanh[z]``: integer tables over the whole ``z_bits`` input range
  with outputs at ``2^-frac`` (sigmoid in ``[0, 2^frac]``, tanh in ``[-2^frac, 2^frac]``);
- ``c = sat_32(rs(f·c_prev + i·g, frac))``: the cell state is fixed point at ``2^-frac``;
  since ``|f|, |i|, |g| ≤ 1`` it grows by at most one unit per step, so int32 holds
  ``2^(31-frac)`` steps before saturation (the overflow proof checks the sequence length);
- ``h = sat_h(rq(o · tanh[sat_z(rq(c; mc, kc))]; my, ky))``: ``c`` is requantized to the
  table's input grid, and the product (at ``2^-2frac``) to the hidden state's grid.

``rq`` is intq's dyadic requantize (one round-half-up shift), ``rs`` the bare shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import UNKNOWN, known_rank
from intq.ops.integer.base import IntegerOp, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.dyadic import (PRODUCT_LIMIT, dyadic_from_real, dyadic_per_channel,
                               requantize)
from intq.quant.fixedpoint import int_range, round_half_up_shift, saturate
from intq.quant.qparams import quantize

DIRECTIONS = {"forward": (False,), "reverse": (True,), "bidirectional": (False, True)}


@register
class IntLSTM(IntegerOp):
    """Inputs: ``x`` [T, B, I] (int), ``w`` [D, 4H, I] and ``r`` [D, 4H, H] (int8, gates in
    ONNX order i, o, f, c), ``bx``/``bh`` [D, 4H] (int32 at the matmuls' scales),
    ``initial_h`` [D, B, H] (int, hidden grid) and ``initial_c`` [D, B, H] (int32 at
    ``2^-frac``), both optional (empty name), ``sig``/``tanh`` tables (int32, 1-D, covering
    the ``z_bits`` signed range from its lowest value). Outputs: ``Y`` [T, D, B, H],
    ``Y_h``, ``Y_c`` [D, B, H].

    Attributes: ``direction``; ``z_bits`` (gate grid), ``frac`` (table outputs and cell
    state), ``h_bits`` (hidden grid, signed); per direction lists ``mx``, ``kx``, ``mh``,
    ``kh`` (one entry per gate row, 4H) and ``mc``, ``kc``, ``my``, ``ky`` (scalars).
    """

    op_type = "IntLSTM"
    attrs = {"direction": "forward", "z_bits": 8, "frac": 15, "h_bits": 8,
             "mx": REQUIRED, "kx": REQUIRED, "mh": REQUIRED, "kh": REQUIRED,
             "mc": REQUIRED, "kc": REQUIRED, "my": REQUIRED, "ky": REQUIRED}
    num_outputs = 3

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray, r: np.ndarray,
                 bx: np.ndarray, bh: np.ndarray, initial_h: np.ndarray | None,
                 initial_c: np.ndarray | None, sig: np.ndarray, tanh: np.ndarray
                 ) -> list[np.ndarray]:
        def step(zx: np.ndarray, h: np.ndarray, c: np.ndarray, d: int
                 ) -> tuple[np.ndarray, np.ndarray]:
            return self._step(attrs, zx, h, c, r[d], bh[d], sig, tanh, d)

        y, (h, c) = run_recurrence(attrs, x, w, bx, [initial_h, initial_c], r.shape[-1], step)
        h_dtype = saturate(0, int(attrs["h_bits"]), True).dtype
        return [y.astype(h_dtype), h.astype(h_dtype), c.astype(np.int32)]

    def _step(self, attrs: dict[str, Any], zx: np.ndarray, h: np.ndarray, c: np.ndarray,
              r: np.ndarray, bh: np.ndarray, sig: np.ndarray, tanh: np.ndarray, d: int
              ) -> tuple[np.ndarray, np.ndarray]:
        z_bits, frac = int(attrs["z_bits"]), int(attrs["frac"])
        lo = int_range(z_bits, True)[0]
        zh = gate_projection(attrs, h @ r.T.astype(np.int64) + bh.astype(np.int64),
                                   "h", d)
        z = saturate(zx + zh, z_bits, True).astype(np.int64) - lo
        hidden = r.shape[-1]
        zi, zo, zf, zc = (z[:, k * hidden:(k + 1) * hidden] for k in range(4))
        sig64, tanh64 = sig.astype(np.int64), tanh.astype(np.int64)
        i, o, f, g = sig64[zi], sig64[zo], sig64[zf], tanh64[zc]
        c = saturate(round_half_up_shift(f * c + i * g, frac), 32, True).astype(np.int64)
        tc_in = requantize(c, int(attrs["mc"][d]), int(attrs["kc"][d]), bits=z_bits,
                           signed=True).astype(np.int64) - lo
        h = requantize(o * tanh64[tc_in], int(attrs["my"][d]), int(attrs["ky"][d]),
                       bits=int(attrs["h_bits"]), signed=True).astype(np.int64)
        return h, c

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, r = types[0], types[2]
        dirs = len(DIRECTIONS[attrs["direction"]])
        hidden = r.shape[-1] if known_rank(r) else UNKNOWN
        steps, batch = x.shape[:2] if known_rank(x) else (UNKNOWN, UNKNOWN)
        h_dtype = saturate(0, int(attrs["h_bits"]), True).dtype.name
        return [TensorType((steps, dirs, batch, hidden), h_dtype),
                TensorType((dirs, batch, hidden), h_dtype),
                TensorType((dirs, batch, hidden), "int32")]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        """Outputs are saturated to their precisions; the proof is that no int64 product of a
        step can leave ``2^62`` and that the tables cover the gate grid."""
        frac = int(attrs["frac"])
        _check_gates(attrs, ranges, consts, 7, "IntLSTM")
        for product, m in ((1 << (frac + 31), 1), (1 << 31, max(attrs["mc"])),
                           (1 << (2 * frac), max(attrs["my"]))):
            if product * int(m) > PRODUCT_LIMIT:
                raise ValueError("an IntLSTM cell product times its multiplier exceeds 2^62; "
                                 "lower frac")
        h_lo, h_hi = int_range(int(attrs["h_bits"]), True)
        c_lo, c_hi = int_range(32, True)
        return [IntRange.of(h_lo, h_hi), IntRange.of(h_lo, h_hi), IntRange.of(c_lo, c_hi)]


@register
class IntGRU(IntegerOp):
    """An ONNX GRU (layout 0, default activations) on integers. Inputs: ``x`` [T, B, I]
    (int), ``w`` [D, 3H, I] and ``r`` [D, 3H, H] (int8, gates in ONNX order z, r, h),
    ``bx``/``bh`` [D, 3H] (int32 at the matmuls' scales), ``initial_h`` [D, B, H] (int,
    hidden grid, optional), ``sig``/``tanh`` tables as in IntLSTM. Outputs: ``Y``
    [T, D, B, H], ``Y_h`` [D, B, H].

    Per step: ``z, r = sig[sat(zx + rq(h·Rᵀ + bh))]`` for their rows; the candidate's
    recurrent term is ``rq(rs(r · (h·R_hᵀ + bh_h), frac))`` with ``linear_before_reset``,
    else ``rq(rs(r · h, frac)·R_hᵀ + bh_h)`` (the reset state back on the hidden grid);
    ``n = tanh[sat(zx_h + that)]``; and ``h = sat(rs((2^frac - z)·n·Q + z·h·2^frac,
    2·frac))`` with ``Q = 2^(h_bits-1) - 1`` (the hidden grid is ``1/Q``), one rounding.

    Attributes: ``direction``; ``linear_before_reset`` (0/1); ``z_bits``, ``frac``,
    ``h_bits`` as in IntLSTM; per direction lists ``mx``, ``kx``, ``mh``, ``kh`` (3H each).
    """

    op_type = "IntGRU"
    attrs = {"direction": "forward", "linear_before_reset": 0, "z_bits": 8, "frac": 15,
             "h_bits": 8, "mx": REQUIRED, "kx": REQUIRED, "mh": REQUIRED, "kh": REQUIRED}
    num_outputs = 2

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray, r: np.ndarray,
                 bx: np.ndarray, bh: np.ndarray, initial_h: np.ndarray | None,
                 sig: np.ndarray, tanh: np.ndarray) -> list[np.ndarray]:
        def step(zx: np.ndarray, h: np.ndarray, d: int) -> tuple[np.ndarray]:
            return (gru_step(attrs, zx, h, r[d], bh[d], sig, tanh, d),)

        y, (h,) = run_recurrence(attrs, x, w, bx, [initial_h], r.shape[-1], step)
        h_dtype = saturate(0, int(attrs["h_bits"]), True).dtype
        return [y.astype(h_dtype), h.astype(h_dtype)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        y, y_h, _ = IntLSTM().infer(attrs, types, consts)
        return [y, y_h]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        """Outputs are saturated to the hidden precision; the proof is that the tables cover
        the gate grid and no int64 product of a step can leave ``2^62``."""
        frac = int(attrs["frac"])
        h = _check_gates(attrs, ranges, consts, 6, "IntGRU")
        acc = h * np.abs(consts[2].astype(object)).sum(axis=-1) + np.abs(
            consts[4].astype(object))
        if int(acc.max()) << frac > PRODUCT_LIMIT or (h << (2 * frac)) * 2 > PRODUCT_LIMIT:
            raise ValueError("an IntGRU reset or update product exceeds 2^62; lower frac")
        h_lo, h_hi = int_range(int(attrs["h_bits"]), True)
        return [IntRange.of(h_lo, h_hi), IntRange.of(h_lo, h_hi)]


def run_recurrence(attrs: dict[str, Any], x: np.ndarray, w: np.ndarray, bx: np.ndarray,
                   initial: list[np.ndarray | None], hidden: int, step: Any
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Every direction of a gated recurrence over time: the input projection of all steps at
    once, then ``step(zx_t, *states, d)`` per step (the first state is h). Returns Y
    [T, D, B, H] and each final state [D, B, H], int64."""
    steps, batch = x.shape[:2]
    ys, finals = [], [[] for _ in initial]
    for d, reverse in enumerate(DIRECTIONS[attrs["direction"]]):
        states = [np.zeros((batch, hidden), np.int64) if s is None else s[d].astype(np.int64)
                  for s in initial]
        zx = gate_projection(attrs, x.astype(np.int64) @ w[d].T.astype(np.int64)
                             + bx[d].astype(np.int64), "x", d)
        y = np.zeros((steps, batch, hidden), np.int64)
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            states = list(step(zx[t], *states, d))
            y[t] = states[0]
        ys.append(y)
        for final, state in zip(finals, states):
            final.append(state)
    return np.stack(ys, axis=1), [np.stack(f) for f in finals]


def gate_projection(attrs: dict[str, Any], acc: np.ndarray, which: str, d: int) -> np.ndarray:
    """One matmul accumulator requantized per gate row to the gate grid (kept int64)."""
    return requantize(acc, np.asarray(attrs["m" + which][d]),
                      np.asarray(attrs["k" + which][d]), bits=int(attrs["z_bits"]) + 1,
                      signed=True, axis=-1).astype(np.int64)


def gru_step(attrs: dict[str, Any], zx: np.ndarray, h: np.ndarray, r: np.ndarray,
             bh: np.ndarray, sig: np.ndarray, tanh: np.ndarray, d: int) -> np.ndarray:
    """One IntGRU step of direction ``d`` from the projected input ``zx`` [B, 3H]."""
    z_bits, frac, h_bits = int(attrs["z_bits"]), int(attrs["frac"]), int(attrs["h_bits"])
    lo = int_range(z_bits, True)[0]
    hidden = r.shape[-1]
    r64, bh64 = r.astype(np.int64), bh.astype(np.int64)
    m, k = np.asarray(attrs["mh"][d]), np.asarray(attrs["kh"][d])

    def project(acc: np.ndarray, rows: slice) -> np.ndarray:
        return requantize(acc, m[rows], k[rows], bits=z_bits + 1, signed=True,
                          axis=-1).astype(np.int64)

    gates = slice(0, 2 * hidden)
    zr = saturate(zx[:, gates] + project(h @ r64[gates].T + bh64[gates], gates), z_bits,
                  True).astype(np.int64) - lo
    sig64, tanh64 = sig.astype(np.int64), tanh.astype(np.int64)
    update, reset = sig64[zr[:, :hidden]], sig64[zr[:, hidden:]]
    rows = slice(2 * hidden, 3 * hidden)
    if int(attrs["linear_before_reset"]):
        recurrent = round_half_up_shift(reset * (h @ r64[rows].T + bh64[rows]), frac)
    else:
        reset_h = round_half_up_shift(reset * h, frac)
        recurrent = reset_h @ r64[rows].T + bh64[rows]
    n = saturate(zx[:, rows] + project(recurrent, rows), z_bits, True).astype(np.int64) - lo
    candidate = tanh64[n]
    q = int_range(h_bits, True)[1]
    total = ((1 << frac) - update) * candidate * q + update * h * (1 << frac)
    return saturate(round_half_up_shift(total, 2 * frac), h_bits, True).astype(np.int64)


def _check_gates(attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                 consts: Sequence[np.ndarray | None], tables: int, op: str) -> int:
    """What every gated recurrence's proof checks: the tables (inputs ``tables`` and
    ``tables + 1``) and both projections; returns the hidden state's bound."""
    x = needs_range(ranges, 0, f"{op} input x").magnitude()
    h = int_range(int(attrs["h_bits"]), True)[1] + 1
    _check_tables(attrs, consts[tables], consts[tables + 1], op)
    for name, bound, w, b in (("x", x, 1, 3), ("h", h, 2, 4)):
        _check_projection(attrs, name, bound, consts[w], consts[b], "m" + name)
    return h


def _check_tables(attrs: dict[str, Any], sig: np.ndarray | None, tanh: np.ndarray | None,
                  op: str) -> None:
    z_bits, frac = int(attrs["z_bits"]), int(attrs["frac"])
    for table, what in ((sig, "sigmoid table"), (tanh, "tanh table")):
        if table is None or table.size != 1 << z_bits:
            raise ValueError(f"the {op} {what} must be a constant of 2^z_bits entries")
        if np.abs(table.astype(np.int64)).max() > 1 << frac:
            raise ValueError(f"the {op} {what} leaves [-2^frac, 2^frac]")


def _check_projection(attrs: dict[str, Any], what: str, bound: int, w: np.ndarray | None,
                      b: np.ndarray | None, m_key: str) -> None:
    """``(|in|·Σ|w| + |b|) · m <= 2^62`` for every gate row of one matmul."""
    if w is None or b is None:
        raise ValueError(f"the weights and bias of the {what} projection must be constants")
    acc = (bound * np.abs(w.astype(object)).sum(axis=-1) + np.abs(b.astype(object)))
    worst = max(int(a) * int(m) for a_row, m_row in zip(acc, attrs[m_key])
                for a, m in zip(a_row, m_row))
    if worst > PRODUCT_LIMIT:
        raise ValueError(f"the recurrence's {what} projection times its multiplier can exceed "
                         "2^62")

def lstm_plan(w: np.ndarray, r: np.ndarray, b: np.ndarray | None, x_scale: float,
              direction: str = "forward", z_bits: int = 12, z_range: float = 8.0,
              frac: int = 15, h_bits: int = 8) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The integer constants (``w, r, bx, bh, sig, tanh``) and attributes of an IntLSTM.

    Only the input scale is calibrated: the gate grid covers ``±z_range`` (beyond 8 both
    sigmoid and tanh are within 4e-4 of their limits), the cell state is at ``2^-frac`` and
    the hidden state in ``(-1, 1)`` sits on ``1/(2^(h_bits-1) - 1)``, all data-independent.
    """
    consts, attrs = _gate_plan(w, r, b, x_scale, direction, z_bits, z_range, frac, h_bits)
    z_scale = z_range / int_range(z_bits, True)[1]
    h_scale = 1.0 / int_range(h_bits, True)[1]
    for _ in range(w.shape[0]):
        for name, real in (("c", 2.0 ** -frac / z_scale), ("y", 2.0 ** (-2 * frac) / h_scale)):
            m, k = dyadic_from_real(real)
            attrs.setdefault("m" + name, []).append(m)
            attrs.setdefault("k" + name, []).append(k)
    return consts, attrs


def gru_plan(w: np.ndarray, r: np.ndarray, b: np.ndarray | None, x_scale: float,
             direction: str = "forward", linear_before_reset: int = 0, z_bits: int = 12,
             z_range: float = 8.0, frac: int = 15, h_bits: int = 8
             ) -> tuple[list[np.ndarray], dict[str, Any]]:
    """The integer constants (``w, r, bx, bh, sig, tanh``) and attributes of an IntGRU: the
    grids of ``lstm_plan`` (the GRU's state update needs no multiplier of its own)."""
    consts, attrs = _gate_plan(w, r, b, x_scale, direction, z_bits, z_range, frac, h_bits)
    attrs["linear_before_reset"] = int(bool(linear_before_reset))
    return consts, attrs


def _gate_plan(w: np.ndarray, r: np.ndarray, b: np.ndarray | None, x_scale: float,
               direction: str, z_bits: int, z_range: float, frac: int, h_bits: int
               ) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Per-row int8 weights, int32 biases and gate-grid multipliers of both projections,
    and the sigmoid/tanh tables, for any gated recurrence (gate rows stacked in ``w``)."""
    dirs, rows = w.shape[0], w.shape[1]
    b = np.zeros((dirs, 2 * rows)) if b is None else np.asarray(b, np.float64)
    z_scale = z_range / int_range(z_bits, True)[1]
    h_scale = 1.0 / int_range(h_bits, True)[1]
    consts: dict[str, list[np.ndarray]] = {"w": [], "r": [], "bx": [], "bh": []}
    attrs: dict[str, Any] = {"direction": direction, "z_bits": z_bits, "frac": frac,
                             "h_bits": h_bits}
    for d in range(dirs):
        for name, mat, bias, in_scale in (("x", w[d], b[d, :rows], x_scale),
                                          ("h", r[d], b[d, rows:], h_scale)):
            w_scale = np.maximum(np.abs(mat).max(axis=1), 1e-12) / 127.0
            consts["w" if name == "x" else "r"].append(
                np.round(mat / w_scale[:, None]).astype(np.int8))
            consts["b" + name].append(_int32_bias(bias / (in_scale * w_scale)))
            m, k = dyadic_per_channel(in_scale * w_scale / z_scale)
            attrs.setdefault("m" + name, []).append(m.tolist())
            attrs.setdefault("k" + name, []).append(k.tolist())
    lo, hi = int_range(z_bits, True)
    grid = np.arange(lo, hi + 1) * z_scale
    one = 2.0 ** -frac
    tables = [quantize(1 / (1 + np.exp(-grid)), one, frac + 2, True).astype(np.int32),
              quantize(np.tanh(grid), one, frac + 2, True).astype(np.int32)]
    return [np.stack(consts[n]) for n in ("w", "r", "bx", "bh")] + tables, attrs


def _int32_bias(scaled: np.ndarray) -> np.ndarray:
    """A gate bias on its accumulator grid, refused rather than wrapped if it leaves int32."""
    q = np.round(scaled)
    lo, hi = int_range(32, True)
    if q.min() < lo or q.max() > hi:
        raise ValueError("an LSTM gate bias does not fit int32 at its accumulator scale")
    return q.astype(np.int32)
