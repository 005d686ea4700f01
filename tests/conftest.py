"""Shared fixtures: zoo models exported to ONNX, and ONNX Runtime as the reference."""

from __future__ import annotations

import functools

import numpy as np
import pytest


@functools.lru_cache(maxsize=None)
def _zoo_onnx(name: str, opset: int, seed: int) -> bytes:
    from intq import zoo
    from intq.frontends.torch_import import export_onnx_bytes

    model = zoo.build(name, seed=seed)
    return export_onnx_bytes(model, model.example_inputs(), dynamic_axes=model.dynamic_axes(),
                             opset=opset)


@pytest.fixture(scope="session")
def zoo_onnx():
    """``zoo_onnx(name, opset=17, seed=0)``: the zoo model as ONNX bytes (exported once)."""
    pytest.importorskip("torch")
    return lambda name, opset=17, seed=0: _zoo_onnx(name, opset, seed)


def run_ort(model: bytes, *inputs: np.ndarray) -> list[np.ndarray]:
    """Run serialized ONNX in ONNX Runtime without graph optimizations (pure op semantics)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    return session.run(None, dict(zip(names, inputs)))


def rel_error(got: np.ndarray, want: np.ndarray) -> float:
    """max|got - want| / max|want|, the parity measure used across the test suite."""
    assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
    scale = float(np.abs(want).max()) or 1.0
    return float(np.abs(got.astype(np.float64) - want).max()) / scale


@pytest.fixture(scope="session")
def ort_run():
    return run_ort


@pytest.fixture(scope="session")
def relative_error():
    return rel_error
