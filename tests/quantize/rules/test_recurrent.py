import numpy as np
import pytest

from intq.errors import IntqError
from intq.ir.graph import Graph

from ..graphs import finish, float_values_inside, integer_ops, normal, op, quantize, run

HIDDEN, INPUTS, STEPS = 5, 3, 6


def recurrent_graph(op_type, direction, states, steps, seed, **attrs):
    """An LSTM or GRU on the batch-first input [N, T, I] transposed to ONNX's time-major
    layout 0 (``steps`` may be a symbolic dimension's name); initial states batch-first too
    when ``states``."""
    gates, state_names = {"LSTM": (4, ("h0", "c0")), "GRU": (3, ("h0",))}[op_type]
    dirs = 2 if direction == "bidirectional" else 1
    rng = np.random.default_rng(seed)
    g = Graph()
    x = g.add_input("x", "float32", ("N", steps, INPUTS))
    xt = op(g, "Transpose", [x], perm=[1, 0, 2])
    w = rng.normal(0, 0.5, (dirs, gates * HIDDEN, INPUTS)).astype(np.float32)
    r = rng.normal(0, 0.5, (dirs, gates * HIDDEN, HIDDEN)).astype(np.float32)
    b = rng.normal(0, 0.3, (dirs, 2 * gates * HIDDEN)).astype(np.float32)
    inputs = [xt, w, r, b]
    if states:
        inputs += ["", *(op(g, "Transpose", [g.add_input(n, "float32", ("N", dirs, HIDDEN))],
                            perm=[1, 0, 2]) for n in state_names)]
    outs = op(g, op_type, inputs, outputs=1 + len(state_names), direction=direction,
              hidden_size=HIDDEN, **attrs)
    return finish(g, *outs)


def lstm_graph(direction="forward", states=False, steps=STEPS, **attrs):
    return recurrent_graph("LSTM", direction, states, steps, 1, **attrs)


def gru_graph(direction="forward", states=False, steps=STEPS, linear_before_reset=0):
    return recurrent_graph("GRU", direction, states, steps, 2,
                           linear_before_reset=linear_before_reset)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_lstm_is_one_integer_op_close_to_float(direction):
    g, x = lstm_graph(direction), normal(16, STEPS, INPUTS, seed=2)
    model = quantize(g, x)
    assert "IntLSTM" in integer_ops(model) and "LSTM" not in integer_ops(model)
    assert float_values_inside(model) == [] and model.exact
    for got, want in zip(model.run(x), run(g, x)):
        assert np.abs(got - want).max() < 0.05


@pytest.mark.parametrize("direction, linear_before_reset, states",
                         [("forward", 0, False), ("reverse", 1, True),
                          ("bidirectional", 0, True), ("bidirectional", 1, False)])
def test_gru_is_one_integer_op_close_to_float(direction, linear_before_reset, states):
    g = gru_graph(direction, states, linear_before_reset=linear_before_reset)
    dirs = 2 if direction == "bidirectional" else 1
    data = (normal(16, STEPS, INPUTS, seed=2),) + (
        (np.tanh(normal(16, dirs, HIDDEN, seed=3)),) if states else ())
    model = quantize(g, data if states else data[0])
    assert "IntGRU" in integer_ops(model) and "GRU" not in integer_ops(model)
    assert float_values_inside(model) == [] and model.exact
    for got, want in zip(model.run(*data), run(g, *data)):
        assert np.abs(got - want).max() < 0.05


def test_initial_states_are_quantized_onto_the_state_grids():
    g = lstm_graph("bidirectional", states=True)
    x = normal(8, STEPS, INPUTS, seed=3)
    h0 = np.tanh(normal(8, 2, HIDDEN, seed=4))
    c0 = normal(8, 2, HIDDEN, seed=5)
    model = quantize(g, (x, h0, c0))
    assert "IntLSTM" in integer_ops(model)
    for got, want in zip(model.run(x, h0, c0), run(g, x, h0, c0)):
        assert np.abs(got - want).max() < 0.05


def test_other_activations_stay_float():
    g = lstm_graph(activations=["HardSigmoid", "Tanh", "Tanh"])
    model = quantize(g, normal(4, STEPS, INPUTS))
    assert "LSTM" in integer_ops(model) and "IntLSTM" not in integer_ops(model)


def test_short_sequence_lens_is_refused_naming_the_node():
    g = Graph()
    x = g.add_input("x", "float32", (STEPS, 2, INPUTS))
    w, r = np.ones((1, 4 * HIDDEN, INPUTS)), np.ones((1, 4 * HIDDEN, HIDDEN))
    outs = op(g, "LSTM", [x, w, r, "", np.array([STEPS, 2], np.int32)], outputs=3,
              hidden_size=HIDDEN)
    g = finish(g, *outs)
    with pytest.raises(IntqError, match="lstm.*sequence_lens"):
        quantize(g, normal(STEPS, 2, INPUTS))


def silero_lstm():
    """silero_vad_16k_sequence's LSTM as a hand graph (batch-first input), and its real input
    features on synthesized speech-like clips (tones in noise), captured with ONNX Runtime."""
    import importlib.util
    from pathlib import Path

    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    found = importlib.util.find_spec("silero_vad")
    if found is None:
        pytest.skip("silero_vad is not installed (it ships the VAD model with an LSTM)")
    path = Path(found.submodule_search_locations[0]) / "data" / "silero_vad_16k_sequence.onnx"
    proto = onnx.load(str(path))
    lstm = next(n for n in proto.graph.node if n.op_type == "LSTM")
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    w, r, b = (inits[name] for name in lstm.input[1:4])
    proto.graph.output.append(onnx.helper.make_tensor_value_info(lstm.input[0],
                                                                 onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    t = np.arange(16 * 576) / 16000
    clips = []
    for freq in (150, 220, 330, 500, 800, 1200):
        audio = 0.3 * np.sin(2 * np.pi * freq * t) * (t > 0.2) + 0.02 * rng.normal(size=t.size)
        state = np.zeros((1, 1, 128), np.float32)
        feeds = {"input": audio.astype(np.float32).reshape(16, 576), "h": state, "c": state}
        clips.append(session.run(None, feeds)[-1][:, 0])
    g = Graph()
    x = g.add_input("x", "float32", ("N", 16, w.shape[-1]))
    outs = op(g, "LSTM", [op(g, "Transpose", [x], perm=[1, 0, 2]), w, r, b], outputs=3,
              hidden_size=w.shape[1] // 4)
    return finish(g, *outs), np.stack(clips).astype(np.float32)


def test_silero_vad_lstm_is_integer_and_close():
    """Measured on the real weights over 16 steps: max |Δh| 0.037 (5 steps of 1/127), max |Δc|
    0.12 on cells up to 4.3 (3%)."""
    g, feats = silero_lstm()
    model = quantize(g, feats[:4])
    assert "IntLSTM" in integer_ops(model) and model.exact
    got, want = model.run(feats[4:]), run(g, feats[4:])
    assert np.abs(got[0] - want[0]).max() < 0.05
    assert np.abs(got[2] - want[2]).max() < 0.05 * np.abs(want[2]).max()
