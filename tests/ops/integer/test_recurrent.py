import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ops import get_op
from intq.ops.integer.recurrent import DIRECTIONS, gru_plan, lstm_plan
from intq.quant.qparams import quantize

op = get_op("IntLSTM")


def rq(v, m, k, bits):
    """Big-int dyadic requantize: floor((v*m + 2^(k-1)) / 2^k), saturated."""
    lim = (1 << (bits - 1)) - 1
    q = (v * m + ((1 << (k - 1)) if k else 0)) >> k
    return max(-lim - 1, min(lim, q))


def sat(v, bits):
    lim = (1 << (bits - 1)) - 1
    return max(-lim - 1, min(lim, v))


def reference(attrs, x, w, r, bx, bh, h0, c0, sig, tanh):
    """The IntLSTM semantics in Python ints, one scalar at a time."""
    zb, frac, hb = attrs["z_bits"], attrs["frac"], attrs["h_bits"]
    lo = -(1 << (zb - 1))
    steps, batch, _ = x.shape
    hidden = r.shape[-1]
    ys = np.zeros((steps, len(DIRECTIONS[attrs["direction"]]), batch, hidden), np.int64)
    hs, cs = [], []
    for d, reverse in enumerate(DIRECTIONS[attrs["direction"]]):
        h = [[int(v) for v in row] for row in h0[d]] if h0 is not None else [[0] * hidden] * batch
        c = [[int(v) for v in row] for row in c0[d]] if c0 is not None else [[0] * hidden] * batch
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            nh, nc = [], []
            for n in range(batch):
                z = []
                for j in range(4 * hidden):
                    ax = sum(int(x[t, n, i]) * int(w[d, j, i]) for i in range(x.shape[2]))
                    ah = sum(h[n][i] * int(r[d, j, i]) for i in range(hidden))
                    z.append(sat(rq(ax + int(bx[d, j]), attrs["mx"][d][j], attrs["kx"][d][j],
                                    zb + 1)
                                 + rq(ah + int(bh[d, j]), attrs["mh"][d][j], attrs["kh"][d][j],
                                      zb + 1), zb) - lo)
                hr, cr = [], []
                for u in range(hidden):
                    i, o, f = (int(sig[z[g * hidden + u]]) for g in (0, 1, 2))
                    g = int(tanh[z[3 * hidden + u]])
                    acc = f * c[n][u] + i * g
                    cv = sat((acc + (1 << (frac - 1))) >> frac, 32)
                    tc = int(tanh[rq(cv, attrs["mc"][d], attrs["kc"][d], zb) - lo])
                    hr.append(rq(o * tc, attrs["my"][d], attrs["ky"][d], hb))
                    cr.append(cv)
                nh.append(hr)
                nc.append(cr)
            h, c = nh, nc
            ys[t, d] = h
        hs.append(h)
        cs.append(c)
    return ys, np.array(hs), np.array(cs)


def float_lstm(steps, batch, inputs, hidden, dirs, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (steps, batch, inputs))
    w = rng.normal(0, 0.5, (dirs, 4 * hidden, inputs))
    r = rng.normal(0, 0.5, (dirs, 4 * hidden, hidden))
    b = rng.normal(0, 0.3, (dirs, 8 * hidden))
    return x, w, r, b


def integer_case(steps, batch, inputs, hidden, direction, seed, with_state, z_bits=12):
    dirs = len(DIRECTIONS[direction])
    x, w, r, b = float_lstm(steps, batch, inputs, hidden, dirs, seed)
    x_scale = np.abs(x).max() / 127
    consts, attrs = lstm_plan(w, r, b, x_scale, direction, z_bits=z_bits)
    xq = quantize(x, x_scale, 8, True)
    rng = np.random.default_rng(seed + 1)
    h0 = rng.integers(-127, 128, (dirs, batch, hidden)).astype(np.int8) if with_state else None
    c0 = (rng.integers(-3 << 15, 3 << 15, (dirs, batch, hidden)).astype(np.int32)
          if with_state else None)
    wq, rq_, bx, bh, sig, tanh = consts
    return attrs, (xq, wq, rq_, bx, bh, h0, c0, sig, tanh), (x, w, r, b)


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from(sorted(DIRECTIONS)), st.integers(0, 1000), st.booleans(),
       st.sampled_from([8, 12]))
def test_int_lstm_equals_the_big_int_reference(steps, batch, inputs, hidden, direction, seed,
                                               with_state, z_bits):
    attrs, args, _ = integer_case(steps, batch, inputs, hidden, direction, seed, with_state,
                                  z_bits)
    full = {**op.attrs, **attrs}
    y, yh, yc = op.evaluate(full, *args)
    ry, rh, rc = reference(full, *args)
    assert y.tolist() == ry.tolist() and yh.tolist() == rh.tolist()
    assert yc.tolist() == rc.tolist()
    assert y.dtype == np.int8 and yc.dtype == np.int32


def test_int_lstm_tracks_the_float_lstm():
    """Measured: over 16 steps of a bidirectional LSTM, the max error of h is a few grid steps."""
    attrs, args, (x, w, r, b) = integer_case(16, 4, 8, 6, "bidirectional", 7, False)
    y, yh, yc = op.evaluate({**op.attrs, **attrs}, *args)
    want = get_op("LSTM").evaluate({**get_op("LSTM").attrs, "direction": "bidirectional",
                                    "hidden_size": 6}, x, w, r, b)
    err_h = np.abs(y / 127.0 - want[0]).max()
    err_c = np.abs(yc / 2.0 ** 15 - want[2]).max()
    assert err_h < 0.05 and err_c < 0.1, (err_h, err_c)


def test_cell_state_saturates_instead_of_wrapping():
    attrs, args, _ = integer_case(3, 1, 2, 2, "forward", 3, True)
    args = list(args)
    args[6] = np.full_like(args[6], np.iinfo(np.int32).max)
    yc = op.evaluate({**op.attrs, **attrs}, *args)[2]
    assert yc.max() <= np.iinfo(np.int32).max and yc.min() >= np.iinfo(np.int32).min


def proof_inputs(attrs, args, x_bound=127):
    from intq.ops.integer.ranges import IntRange
    ranges = [IntRange.of(-x_bound, x_bound)] + [None] * 8
    consts = [None, *args[1:5], None, None, *args[7:]]
    return attrs, ranges, consts


def test_the_proof_bounds_outputs_by_their_precisions():
    attrs, args, _ = integer_case(2, 1, 3, 2, "forward", 0, False)
    full = {**op.attrs, **attrs}
    y, yh, yc = op.value_range(*proof_inputs(full, args), [None] * 9)
    assert (y.magnitude(), yc.magnitude()) == (128, 2**31)


def test_the_proof_refuses_a_projection_that_could_leave_int64():
    attrs, args, _ = integer_case(2, 1, 3, 2, "forward", 0, False)
    full = {**op.attrs, **attrs}
    with pytest.raises(ValueError, match="x projection"):
        op.value_range(*proof_inputs(full, args, x_bound=2**40), [None] * 9)


def test_the_proof_refuses_a_table_that_does_not_cover_the_gate_grid():
    attrs, args, _ = integer_case(2, 1, 3, 2, "forward", 0, False)
    args = list(args)
    args[7] = args[7][:-1]
    with pytest.raises(ValueError, match="sigmoid table"):
        op.value_range(*proof_inputs({**op.attrs, **attrs}, args), [None] * 9)


gru = get_op("IntGRU")


def gru_reference(attrs, x, w, r, bx, bh, h0, sig, tanh):
    """The IntGRU semantics in Python ints, one scalar at a time."""
    zb, frac, hb = attrs["z_bits"], attrs["frac"], attrs["h_bits"]
    lo, q = -(1 << (zb - 1)), (1 << (hb - 1)) - 1
    steps, batch, _ = x.shape
    hidden = r.shape[-1]

    def shift(v, k):
        return (v + (1 << (k - 1))) >> k

    ys = np.zeros((steps, len(DIRECTIONS[attrs["direction"]]), batch, hidden), np.int64)
    hs = []
    for d, reverse in enumerate(DIRECTIONS[attrs["direction"]]):
        h = [[int(v) for v in row] for row in h0[d]] if h0 is not None else [[0] * hidden] * batch
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            nh = []
            for n in range(batch):
                def zx(j):
                    ax = sum(int(x[t, n, i]) * int(w[d, j, i]) for i in range(x.shape[2]))
                    return rq(ax + int(bx[d, j]), attrs["mx"][d][j], attrs["kx"][d][j], zb + 1)

                def zh(j, state):
                    ah = sum(state[i] * int(r[d, j, i]) for i in range(hidden))
                    return ah + int(bh[d, j])

                def proj(acc, j):
                    return rq(acc, attrs["mh"][d][j], attrs["kh"][d][j], zb + 1)

                gate = [int(sig[sat(zx(j) + proj(zh(j, h[n]), j), zb) - lo])
                        for j in range(2 * hidden)]
                out = []
                for u in range(hidden):
                    z, reset, j = gate[u], gate[hidden + u], 2 * hidden + u
                    if attrs["linear_before_reset"]:
                        rec = shift(reset * zh(j, h[n]), frac)
                    else:
                        reset_h = [shift(gate[hidden + i] * v, frac) for i, v in enumerate(h[n])]
                        rec = zh(j, reset_h)
                    cand = int(tanh[sat(zx(j) + proj(rec, j), zb) - lo])
                    total = ((1 << frac) - z) * cand * q + z * h[n][u] * (1 << frac)
                    out.append(sat(shift(total, 2 * frac), hb))
                nh.append(out)
            h = nh
            ys[t, d] = h
        hs.append(h)
    return ys, np.array(hs)


def gru_case(steps, batch, inputs, hidden, direction, seed, with_state, lbr, z_bits=12):
    dirs = len(DIRECTIONS[direction])
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (steps, batch, inputs))
    w = rng.normal(0, 0.5, (dirs, 3 * hidden, inputs))
    r = rng.normal(0, 0.5, (dirs, 3 * hidden, hidden))
    b = rng.normal(0, 0.3, (dirs, 6 * hidden))
    x_scale = np.abs(x).max() / 127
    consts, attrs = gru_plan(w, r, b, x_scale, direction, lbr, z_bits=z_bits)
    h0 = rng.integers(-127, 128, (dirs, batch, hidden)).astype(np.int8) if with_state else None
    wq, rq_, bx, bh, sig, tanh = consts
    return ({**gru.attrs, **attrs}, (quantize(x, x_scale, 8, True), wq, rq_, bx, bh, h0, sig,
                                     tanh), (x, w, r, b))


@settings(deadline=None, max_examples=25)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from(sorted(DIRECTIONS)), st.integers(0, 1000), st.booleans(),
       st.sampled_from([0, 1]), st.sampled_from([8, 12]))
def test_int_gru_equals_the_big_int_reference(steps, batch, inputs, hidden, direction, seed,
                                              with_state, lbr, z_bits):
    attrs, args, _ = gru_case(steps, batch, inputs, hidden, direction, seed, with_state, lbr,
                              z_bits)
    y, yh = gru.evaluate(attrs, *args)
    ry, rh = gru_reference(attrs, *args)
    assert y.tolist() == ry.tolist() and yh.tolist() == rh.tolist() and y.dtype == np.int8


@pytest.mark.parametrize("lbr", [0, 1])
def test_int_gru_tracks_the_float_gru(lbr):
    """Measured: over 16 steps of a bidirectional GRU, h is within a few grid steps."""
    attrs, args, (x, w, r, b) = gru_case(16, 4, 8, 6, "bidirectional", 7, False, lbr)
    y, _ = gru.evaluate(attrs, *args)
    want = get_op("GRU").evaluate({**get_op("GRU").attrs, "direction": "bidirectional",
                                   "hidden_size": 6, "linear_before_reset": lbr}, x, w, r, b)
    err = np.abs(y / 127.0 - want[0]).max()
    assert err < 0.05, err
