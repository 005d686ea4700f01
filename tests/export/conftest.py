"""Quantized zoo models, built once per session for the export tests."""

from __future__ import annotations

import functools

import numpy as np
import pytest


@functools.cache
def _quantized(name: str):
    import intq
    from intq import zoo

    model = zoo.build(name, seed=0)
    example = model.example_inputs()
    example = example if isinstance(example, tuple) else (example,)
    float_model = intq.from_torch(model, example)
    samples = tuple(_batch(e.numpy(), 8, seed) for seed, e in enumerate(example))
    quantized = intq.quantize(float_model, samples if len(samples) > 1 else samples[0],
                              progress=False)
    return quantized, tuple(e.numpy() for e in example)


def _batch(example: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` inputs like ``example``: normal floats, or the example's integers (token ids)."""
    if example.dtype.kind != "f":
        return np.resize(example, (n, *example.shape[1:]))
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, (n, *example.shape[1:])).astype(example.dtype)


@pytest.fixture(scope="session")
def quantized_zoo():
    """``quantized_zoo(name)`` → ``(QuantizedModel, example inputs)`` of a zoo model."""
    pytest.importorskip("torch")
    return _quantized


@pytest.fixture(scope="session")
def zoo_batch():
    """``zoo_batch(examples, n, seed)``: a batch of ``n`` inputs shaped like the examples."""
    return lambda examples, n, seed=1: tuple(_batch(e, n, seed + i)
                                             for i, e in enumerate(examples))
