"""Entropy (KL) calibration clips heavy tails and keeps the range of bounded data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.calibration import EntropyObserver
from intq.calibration.entropy import SMOOTHING, entropy_threshold_bins

from .calibration_data import assert_sane_threshold, batch_lists


def threshold(data: np.ndarray, bits: int = 8) -> tuple[float, float]:
    observer = EntropyObserver("act")
    observer.observe(data)
    return observer.threshold(bits), observer.max_abs


@pytest.mark.parametrize("draw", [
    lambda rng: rng.laplace(0, 1, 200_000),
    lambda rng: rng.standard_t(3, 200_000),
    lambda rng: np.concatenate([rng.normal(0, 1, 200_000), rng.normal(0, 30, 20)]),
])
def test_heavy_tails_are_clipped(draw):
    t, top = threshold(draw(np.random.default_rng(0)).astype(np.float32))
    assert t < 0.95 * top


def test_outliers_are_clipped_hard():
    rng = np.random.default_rng(1)
    t, top = threshold(np.concatenate([rng.normal(0, 1, 100_000), [40.0, -55.0, 60.0]]))
    assert top == 60.0 and 3 < t < 10


@pytest.mark.parametrize("signed", [True, False])
def test_uniform_data_keeps_nearly_the_full_range(signed):
    data = np.random.default_rng(2).uniform(-1 if signed else 0, 1, 100_000)
    t, top = threshold(data)
    assert 0.98 * top <= t <= top


def test_relu_zeros_do_not_force_clipping():
    data = np.maximum(np.random.default_rng(3).normal(0, 1, 100_000), 0)
    t, top = threshold(data)
    assert 0.7 * top < t <= top


@settings(max_examples=15, deadline=None)
@given(batch_lists())
def test_threshold_is_positive_and_at_most_the_max(batches):
    observer = EntropyObserver("act")
    for batch in batches:
        observer.observe(batch)
    for bits in (4, 8):
        assert_sane_threshold(observer.threshold(bits), observer.max_abs)


def test_few_occupied_bins_need_no_search():
    counts = np.zeros(2048, np.int64)
    counts[[3, 90]] = [5, 1]
    assert entropy_threshold_bins(counts, 128) == 91


def reference_divergences(counts: np.ndarray, levels: int) -> dict[int, float]:
    """The search written plainly: KL(P || Q) for every candidate edge, whole chunks of
    ``edge // levels`` bins, the remainder's mass in the last chunk and Q empty on the
    remainder, empty bins of Q smoothed as ONNX Runtime does."""
    bins = counts.astype(np.float64)
    bins[0] = bins[1]
    used = int(np.flatnonzero(counts)[-1]) + 1
    divergences = {}
    for edge in range(levels, used + 1):
        width = edge // levels
        q = np.zeros(edge)
        for j in range(levels):
            span = slice(j * width, (j + 1) * width)
            members = bins[span] > 0
            mass = bins[span].sum() + (bins[levels * width:edge].sum() if j == levels - 1 else 0)
            if members.any():
                q[span][members] = mass / members.sum()
        if not q.any():
            divergences[edge] = np.inf
            continue
        q = q / q.sum()
        q[q == 0] = SMOOTHING
        q = q / q.sum()
        p = bins[:edge].copy()
        p[-1] += bins[edge:].sum()
        p = p / p.sum()
        divergences[edge] = sum(pi * math.log(pi / qi) for pi, qi in zip(p, q) if pi > 0)
    return divergences


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.int64, st.integers(20, 160), elements=st.integers(0, 50)),
       st.sampled_from([4, 8, 16]))
def test_search_matches_the_reference_algorithm(head, levels):
    counts = np.zeros(2048, np.int64)
    counts[:head.size] = head
    counts[head.size] = 1
    found = entropy_threshold_bins(counts, levels)
    reference = reference_divergences(counts, levels)
    if reference:
        assert reference[found] <= min(reference.values()) + 1e-9
    else:
        assert found == head.size + 1
