"""MSE calibration: the closed-form error integral is right, and the chosen threshold really
has the least quantization error on the data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.calibration import MseObserver, qmax
from intq.calibration.mse import mse_threshold_bins, squared_error_integral

from .calibration_data import assert_sane_threshold, batch_lists


def quantization_mse(data: np.ndarray, threshold: float, grid_max: int) -> float:
    step = threshold / grid_max
    return float(np.mean((data - np.clip(np.round(data / step), -grid_max, grid_max) * step) ** 2))


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 50.0), st.floats(0.5, 20.0), st.sampled_from([1, 7, 127]))
def test_error_integral_matches_numerical_integration(x, threshold, grid_max):
    t = (np.arange(200_000) + 0.5) / 200_000 * x
    step = threshold / grid_max
    error = (t - np.minimum(np.round(t / step), grid_max) * step) ** 2
    numeric = error.mean() * x
    exact = float(squared_error_integral(np.array(x), np.array(threshold), grid_max))
    assert exact == pytest.approx(numeric, rel=1e-3, abs=1e-9)


DATA = {
    "normal": lambda rng: rng.normal(0, 1, 30_000),
    "laplace": lambda rng: rng.laplace(0, 1, 30_000),
    "student_t": lambda rng: rng.standard_t(3, 30_000),
    "outliers": lambda rng: np.concatenate([rng.normal(0, 1, 30_000), rng.normal(0, 20, 10)]),
    "uniform": lambda rng: rng.uniform(-1, 1, 30_000),
    "relu": lambda rng: np.maximum(rng.normal(0, 1, 30_000), 0),
}


@pytest.mark.parametrize("bits", [4, 8])
@pytest.mark.parametrize("kind", sorted(DATA))
def test_threshold_minimises_the_measured_error(kind, bits):
    data = DATA[kind](np.random.default_rng(0))
    observer = MseObserver("act")
    observer.observe(data)
    grid_max = qmax(bits, observer.non_negative)
    best = observer.threshold(bits)
    top = observer.max_abs
    alternatives = [top, 0.8 * best, min(1.25 * best, top)] + [
        float(np.percentile(np.abs(data), p)) for p in (99, 99.9, 99.99)]
    measured = quantization_mse(data, best, grid_max)
    for other in alternatives:
        assert measured <= quantization_mse(data, other, grid_max) * 1.01, other
    scan = min(quantization_mse(data, t, grid_max) for t in np.linspace(top / 50, top, 50))
    assert measured <= scan * 1.002


def test_fewer_bits_clip_more():
    observer = MseObserver("act")
    observer.observe(np.random.default_rng(1).laplace(0, 1, 30_000))
    assert observer.threshold(4) < observer.threshold(8) < observer.max_abs


@settings(max_examples=10, deadline=None)
@given(batch_lists())
def test_threshold_is_positive_and_at_most_the_max(batches):
    observer = MseObserver("act")
    for batch in batches:
        observer.observe(batch)
    assert_sane_threshold(observer.threshold(), observer.max_abs)


def full_search(counts: np.ndarray, top: float, grid_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Every candidate of ``mse_threshold_bins`` scored straight from the error integral."""
    used = int(np.flatnonzero(counts)[-1]) + 1
    hist = counts[:used].astype(np.float64)
    edges = np.arange(used + 1, dtype=np.float64)
    candidates = np.append(np.arange(1, np.ceil(top), dtype=np.float64), top)
    integral = squared_error_integral(edges, candidates[:, None], grid_max)
    return candidates, (np.diff(integral, axis=1) * hist).sum(axis=1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([3, 40, 700, 2048]),
       st.sampled_from(["t", "normal", "uniform", "outlier"]),
       st.sampled_from([1, 7, 127, 255, 32767]))
def test_bounded_search_finds_the_full_searchs_threshold(seed, bins, kind, grid_max):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 50_000))
    x = {"t": lambda: np.abs(rng.standard_t(3, n)), "normal": lambda: np.abs(rng.normal(size=n)),
         "uniform": lambda: rng.uniform(0, 1, n),
         "outlier": lambda: np.append(np.abs(rng.normal(size=n)), 40.0)}[kind]()
    x = x / x.max() * (bins - 0.5) * rng.uniform(0.3, 1.0)
    counts = np.bincount(x.astype(int), minlength=2048)
    top = float(x.max())
    found = mse_threshold_bins(counts, top, grid_max)
    candidates, errors = full_search(counts, top, grid_max)
    assert found in candidates
    assert errors[candidates == found][0] <= errors.min() * (1 + 1e-9)
