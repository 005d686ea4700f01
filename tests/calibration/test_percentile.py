"""Percentile from the histogram: within one bin width of NumPy's exact percentile of |x|."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.calibration import CalibrationError, PercentileConfig, PercentileObserver
from intq.calibration.histogram import from_bins

from .calibration_data import assert_sane_threshold, batch_lists


def observed(batches, percentile: float) -> PercentileObserver:
    observer = PercentileObserver("act", PercentileConfig(percentile))
    for batch in batches:
        observer.observe(batch)
    return observer


def bin_width(observer: PercentileObserver) -> float:
    return from_bins(1.0, int(observer.state_dict()["exponent"]))


@settings(max_examples=80, deadline=None)
@given(batch_lists(), st.floats(0.01, 100))
def test_matches_numpy_within_one_bin(batches, percentile):
    observer = observed(batches, percentile)
    magnitudes = np.abs(np.concatenate(batches).astype(np.float64))
    exact = np.percentile(magnitudes, percentile)
    assert abs(observer.threshold() - exact) <= bin_width(observer)
    assert_sane_threshold(observer.threshold(), magnitudes.max())


@settings(max_examples=30, deadline=None)
@given(batch_lists(), st.floats(0.01, 100), st.floats(0.01, 100))
def test_monotone_in_the_percentile(batches, p, q):
    low, high = sorted((p, q))
    assert observed(batches, low).threshold() <= observed(batches, high).threshold()


def test_hundred_percent_is_the_max():
    data = np.random.default_rng(0).standard_t(2, 5000)
    assert observed([data], 100).threshold() == np.abs(data).max()


@pytest.mark.parametrize("bad", [0, -1, 100.5, "99", True, float("nan")])
def test_config_rejects_bad_percentiles(bad):
    with pytest.raises(CalibrationError, match="percentile .* must be a number in"):
        PercentileConfig(bad)
