"""Every zoo model, exported to ONNX and imported, runs in intq's float executor as it runs in
ONNX Runtime: max|intq - ort| / max|ort| <= 1e-5 at two batch sizes (and two lengths)."""

from __future__ import annotations

import pytest

from intq.frontends.onnx_import import import_onnx
from intq.runtime.executor import run

torch = pytest.importorskip("torch")
from intq import zoo  # noqa: E402

RTOL = 1e-5
SIZES = {"transformer": ({"T": 5}, {"T": 12}), "crnn": ({"W": 24}, {"W": 40})}


@pytest.mark.parametrize("name", sorted(zoo.MODELS))
def test_zoo_model_matches_onnxruntime(name, zoo_onnx, ort_run, relative_error,
                                       record_property):
    data = zoo_onnx(name)
    graph = import_onnx(data)
    model = zoo.build(name)
    errors = []
    for batch, sizes in zip((1, 3), SIZES.get(name, ({}, {}))):
        (x,) = model.example_inputs(batch=batch, seed=batch, **sizes)
        x = x.numpy()
        (want,) = ort_run(data, x)
        (got,) = run(graph, x)
        assert got.dtype == want.dtype
        errors.append(relative_error(got, want))
    worst = max(errors)
    record_property("max_rel_error", worst)
    print(f"\n{name}: max relative error vs onnxruntime {worst:.2e}")
    assert worst <= RTOL


@pytest.mark.parametrize("name", ["transformer", "crnn"])
def test_sequence_axis_stays_symbolic(name, zoo_onnx):
    graph = import_onnx(zoo_onnx(name))
    (value,) = (graph.values[i] for i in graph.inputs)
    assert isinstance(value.shape[0], str) and isinstance(value.shape[-1], str)
    assert all(isinstance(d, int) for d in value.shape[1:-1])
