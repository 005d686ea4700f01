"""A model with an op intq has no float reference for quantizes with defaults: integer around
it, the op a float island run by ONNX Runtime, saved, loaded and exported as itself."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import intq
from intq.errors import IntqWarning
from intq.export.onnx_export import to_onnx
from conftest import rel_error, run_ort
from quantize.island_models import grid_sample_between_convs, images

COSINE = 0.98
"""Measured 0.992 (int8 defaults, 64 calibration images; max relative error 0.19, the grid's
coordinates being int8 too); 0.98 leaves room for other calibration draws."""


@pytest.fixture(scope="module")
def quantized():
    model = grid_sample_between_convs()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        qmodel = intq.quantize(intq.load_onnx(model.SerializeToString()), images(64, 1),
                               progress=False)
    return model, qmodel, caught


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum() / np.linalg.norm(a) / np.linalg.norm(b))


def test_convs_are_integer_and_grid_sample_is_a_float_island(quantized):
    _, qmodel, _ = quantized
    meta = qmodel.graph.meta["quantization"]
    assert {"conv1", "conv_grid", "conv2"} <= set(meta["integer_nodes"])
    assert qmodel.float_nodes == {
        "sample": "runs in ONNX Runtime: intq has no float reference for GridSample"}
    assert [n.op for n in qmodel.graph.nodes].count("IntConv") == 3
    at = [n.name for n in qmodel.graph.nodes].index("sample")
    assert [n.op for n in qmodel.graph.nodes[at - 1:at + 2]] == [
        "Dequantize", "OnnxIsland", "Quantize"]


def test_outputs_follow_onnx_runtime_float(quantized):
    model, qmodel, _ = quantized
    x = images(32, 2)
    want = run_ort(model.SerializeToString(), x)[0]
    assert rel_error(intq.load_onnx(model.SerializeToString()).run(x)[0], want) < 1e-5
    assert _cosine(qmodel.run(x)[0], want) > COSINE


def test_the_python_api_warns_and_says_it_in_repr(quantized):
    _, qmodel, caught = quantized
    (warning,) = [w for w in caught if issubclass(w.category, IntqWarning)]
    assert "partly float" in str(warning.message) and "sample (runs in ONNX Runtime" in str(
        warning.message)
    assert warning.filename == __file__
    assert "partly float (1 node: sample)" in repr(qmodel)


def test_save_and_load_round_trip_bit_for_bit(quantized, tmp_path):
    _, qmodel, _ = quantized
    qmodel.save(tmp_path / "m.intq")
    again = intq.load(tmp_path / "m.intq")
    x = images(8, 3)
    np.testing.assert_array_equal(again.run(x)[0], qmodel.run(x)[0])
    assert again.float_nodes == qmodel.float_nodes


@pytest.mark.parametrize("opset", [17, 21])
def test_int_export_is_bit_identical_in_onnx_runtime(quantized, opset):
    """At opset 21 the converter renames GridSample's mode ('bilinear' → 'linear')."""
    _, qmodel, _ = quantized
    x = images(8, 4)
    exported = to_onnx(qmodel, format="int", opset=opset).SerializeToString()
    np.testing.assert_array_equal(run_ort(exported, x)[0], qmodel.run(x)[0])


def test_restore_split_around_the_island():
    model = intq.load_onnx(grid_sample_between_convs().SerializeToString())
    data = images(16, 5)
    with pytest.warns(IntqWarning):
        restored = intq.quantize(model, data, {"restore_ops": ["GridSample"]}, progress=False)
    assert restored.float_nodes == {"sample": "restore_ops"}
    with pytest.warns(IntqWarning):
        split = intq.quantize(model, data, {"split": ["s"]}, progress=False)
    assert split.float_nodes == {
        "sample": "runs in ONNX Runtime: intq has no float reference for GridSample",
        "conv2": "split"}
    assert _cosine(split.run(data)[0], model.run(data)[0]) > COSINE
