import numpy as np
import pytest

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(12)
STEPS, BATCH, INPUT, HIDDEN = 5, 3, 4, 6
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
OUTPUTS = {"LSTM": 3, "GRU": 2, "RNN": 2}


def randn(*shape: int, scale: float = 0.5) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def recurrent_inputs(op: str, dirs: int, bias: bool, lens: bool, initial: bool, layout: int,
                     peepholes: bool = False) -> list[np.ndarray | None]:
    g = GATES[op]
    x = randn(STEPS, BATCH, INPUT, scale=1.0)
    state_shape = (dirs, BATCH, HIDDEN)
    if layout:
        x = x.transpose(1, 0, 2).copy()
        state_shape = (BATCH, dirs, HIDDEN)
    inputs = [x, randn(dirs, g * HIDDEN, INPUT), randn(dirs, g * HIDDEN, HIDDEN),
              randn(dirs, 2 * g * HIDDEN) if bias else None,
              np.array([5, 2, 4], np.int32) if lens else None,
              randn(*state_shape) if initial else None]
    if op == "LSTM":
        inputs += [randn(*state_shape) if initial else None,
                   randn(dirs, 3 * HIDDEN) if peepholes else None]
    return inputs


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize("bias,lens,initial", [(True, False, False), (False, True, True),
                                               (True, True, False)])
def test_recurrent_matches_ort(op, direction, bias, lens, initial):
    dirs = 2 if direction == "bidirectional" else 1
    inputs = recurrent_inputs(op, dirs, bias, lens, initial, layout=0)
    attrs = {"direction": direction, "hidden_size": HIDDEN}
    if op == "GRU":
        attrs["linear_before_reset"] = 1
    check_op(op, inputs, attrs, consts=(1, 2, 3), num_outputs=OUTPUTS[op])


@pytest.mark.parametrize("linear_before_reset", [0, 1])
def test_gru_linear_before_reset(linear_before_reset):
    inputs = recurrent_inputs("GRU", 2, True, False, True, layout=0)
    attrs = {"direction": "bidirectional", "hidden_size": HIDDEN,
             "linear_before_reset": linear_before_reset}
    check_op("GRU", inputs, attrs, consts=(1, 2, 3), num_outputs=2)


def test_lstm_peepholes():
    inputs = recurrent_inputs("LSTM", 2, True, True, True, layout=0, peepholes=True)
    attrs = {"direction": "bidirectional", "hidden_size": HIDDEN}
    check_op("LSTM", inputs, attrs, consts=(1, 2, 3, 7), num_outputs=3)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_batch_first_layout_is_transposed_time_first(op):
    """ONNX Runtime has no layout=1 kernel, so layout 1 is checked against layout 0."""
    batch_first = recurrent_inputs(op, 2, True, True, True, layout=1, peepholes=True)
    time_first = list(batch_first)
    time_first[0] = batch_first[0].transpose(1, 0, 2)
    time_first[5] = batch_first[5].transpose(1, 0, 2)
    if op == "LSTM":
        time_first[6] = batch_first[6].transpose(1, 0, 2)
    attrs = {"direction": "bidirectional"}
    opdef = get_op(op)
    got = opdef.evaluate(normalize_attrs(op, {**attrs, "layout": 1}), *batch_first)
    want = opdef.evaluate(normalize_attrs(op, attrs), *time_first)
    np.testing.assert_array_equal(got[0], want[0].transpose(2, 0, 1, 3))
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_array_equal(g, w.transpose(1, 0, 2))


def test_lstm_clip_input_forget_and_activations():
    inputs = recurrent_inputs("LSTM", 1, True, False, False, 0)
    inputs[0] = inputs[0] * 4
    attrs = {"hidden_size": HIDDEN, "clip": 0.8, "input_forget": 1,
             "activations": ["HardSigmoid", "LeakyRelu", "Tanh"],
             "activation_alpha": [0.3, 0.05], "activation_beta": [0.4]}
    check_op("LSTM", inputs, attrs, consts=(1, 2, 3), num_outputs=3)


def test_lstm_omits_trailing_outputs():
    inputs = recurrent_inputs("LSTM", 1, True, False, False, 0)
    check_op("LSTM", inputs, {"hidden_size": HIDDEN}, consts=(1, 2, 3), num_outputs=1)


def test_recurrent_infers_symbolic_shapes():
    x = TensorType(("S", "N", INPUT), "float32")
    r = TensorType((2, 4 * HIDDEN, HIDDEN), "float32")
    y, y_h, y_c = infer_types("LSTM", {"direction": "bidirectional"},
                              [x, TensorType((2, 4 * HIDDEN, INPUT), "float32"), r])
    assert y == TensorType(("S", 2, "N", HIDDEN), "float32")
    assert y_h == y_c == TensorType((2, "N", HIDDEN), "float32")
    y, y_h = infer_types("GRU", {"layout": 1}, [TensorType(("N", "S", INPUT), "float32"),
                                                TensorType((1, 3 * HIDDEN, INPUT), "float32"),
                                                TensorType((1, 3 * HIDDEN, HIDDEN), "float32")])
    assert y == TensorType(("N", "S", 1, HIDDEN), "float32")
    assert y_h == TensorType(("N", 1, HIDDEN), "float32")
