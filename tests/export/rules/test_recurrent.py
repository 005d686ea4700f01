"""IntLSTM exported (unrolled, or as a Scan over a symbolic sequence length) runs
bit-identically in ONNX Runtime: every direction, initial states given or absent, a batch and
sequence lengths the export never saw."""

from __future__ import annotations

import numpy as np
import pytest

from intq.export import to_onnx

from tests.quantize.graphs import normal, quantize
from tests.quantize.rules.test_recurrent import HIDDEN, INPUTS, STEPS, lstm_graph

ort = pytest.importorskip("onnxruntime")


def ort_run(model, feeds, raw=False):
    proto = to_onnx(model.graph, format="int", raw=raw)
    options = ort.SessionOptions()
    session = ort.InferenceSession(proto.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


@pytest.mark.parametrize("direction, states", [("forward", False), ("reverse", True),
                                               ("bidirectional", False),
                                               ("bidirectional", True)])
def test_int_lstm_export_is_bit_identical(direction, states):
    g = lstm_graph(direction, states=states)
    dirs = 2 if direction == "bidirectional" else 1
    calib = [normal(16, STEPS, INPUTS, seed=2)]
    if states:
        calib += [np.tanh(normal(16, dirs, HIDDEN, seed=3)), normal(16, dirs, HIDDEN, seed=4)]
    model = quantize(g, tuple(calib) if states else calib[0])
    feeds = [normal(3, STEPS, INPUTS, seed=9)]
    if states:
        feeds += [np.tanh(normal(3, dirs, HIDDEN, seed=10)), normal(3, dirs, HIDDEN, seed=11)]
    names = ["x", "h0", "c0"][:len(feeds)]
    want = model.run(*feeds)
    got = ort_run(model, dict(zip(names, feeds)))
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("direction, states", [("forward", False), ("reverse", True),
                                               ("bidirectional", True)])
def test_int_lstm_over_a_symbolic_length_exports_a_scan(direction, states):
    g = lstm_graph(direction, states=states, steps="T")
    dirs = 2 if direction == "bidirectional" else 1
    calib = [normal(16, STEPS, INPUTS, seed=2)]
    if states:
        calib += [np.tanh(normal(16, dirs, HIDDEN, seed=3)), normal(16, dirs, HIDDEN, seed=4)]
    model = quantize(g, tuple(calib) if states else calib[0])
    proto = to_onnx(model.graph, format="int")
    assert [n.op_type for n in proto.graph.node].count("Scan") == dirs
    for steps in (1, 4, 11):
        feeds = [normal(3, steps, INPUTS, seed=9 + steps)]
        if states:
            feeds += [np.tanh(normal(3, dirs, HIDDEN, seed=10)), normal(3, dirs, HIDDEN, seed=11)]
        want = model.run(*feeds)
        got = ort_run(model, dict(zip(["x", "h0", "c0"], feeds)))
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_silero_vad_lstm_export_is_bit_identical():
    from tests.quantize.rules.test_recurrent import silero_lstm

    g, feats = silero_lstm()
    model = quantize(g, feats[:4])
    for a, b in zip(ort_run(model, {"x": feats[4:]}), model.run(feats[4:])):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("direction, linear_before_reset, states, steps",
                         [("forward", 0, False, STEPS), ("reverse", 1, True, STEPS),
                          ("bidirectional", 0, True, "T"), ("bidirectional", 1, False, "T")])
def test_int_gru_export_is_bit_identical(direction, linear_before_reset, states, steps):
    from tests.quantize.rules.test_recurrent import gru_graph

    g = gru_graph(direction, states, steps, linear_before_reset)
    dirs = 2 if direction == "bidirectional" else 1
    calib = (normal(16, STEPS, INPUTS, seed=2),) + (
        (np.tanh(normal(16, dirs, HIDDEN, seed=3)),) if states else ())
    model = quantize(g, calib if states else calib[0])
    lengths = (STEPS,) if isinstance(steps, int) else (1, 3, 9)
    for length in lengths:
        feeds = [normal(3, length, INPUTS, seed=9 + length)]
        if states:
            feeds.append(np.tanh(normal(3, dirs, HIDDEN, seed=10)))
        want = model.run(*feeds)
        got = ort_run(model, dict(zip(["x", "h0"], feeds)))
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
