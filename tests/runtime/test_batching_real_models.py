"""The three package-shipped models the batch plan was made for quantize with defaults and
run on more samples than their declared batch (skipped when the package is absent)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import intq

RNG = np.random.default_rng(0)


def shipped(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{package} is not installed")
    path = Path(spec.submodule_search_locations[0]) / relative
    if not path.is_file():
        pytest.skip(f"{package} does not ship {relative}")
    return path


def speech(samples: int) -> np.ndarray:
    return RNG.normal(0, 0.1, (samples, 576)).astype(np.float32)


def test_paddle_classifier_with_minus_one_batch():
    model = intq.load_onnx(shipped("rapidocr_onnxruntime",
                                   "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"))
    images = RNG.uniform(-1, 1, (2, 3, 48, 192)).astype(np.float32)
    q = intq.quantize(model, images, progress=False)
    assert q.run(images)[0].shape == (2, 2)


def test_silero_sequence_model_with_fixed_shape_states():
    model = intq.load_onnx(shipped("silero_vad", "data/silero_vad_16k_sequence.onnx"))
    state = np.zeros((1, 1, 128), np.float32)
    q = intq.quantize(model, (speech(8), state, state), progress=False)
    probs, h, c = q.run(speech(5), state, state)
    assert probs.shape == (5,) and h.shape == c.shape == (1, 1, 128)


def test_silero_openvino_model_with_fixed_batch_one():
    model = intq.load_onnx(shipped("silero_vad", "data/silero_vad_openvino_16k.onnx"))
    state = np.zeros((2, 1, 128), np.float32)
    frames = speech(6)
    q = intq.quantize(model, (frames, state), progress=False)
    out, state_out = q.run(frames, state)
    assert out.shape == (6, 1) and state_out.shape == (2, 6, 128)
    first, first_state = q.run(frames[:1], state)
    assert first.tobytes() == out[:1].tobytes()
    assert first_state.tobytes() == state_out[:, :1].tobytes()
