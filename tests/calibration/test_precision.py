"""The typical-value SQNR read from a histogram equals the one measured on the data, and
sees an outlier channel that the power SQNR would hide."""

from __future__ import annotations

import math

import numpy as np
import pytest

from intq.calibration.observer import qmax
from intq.calibration.precision import SILENT_DB, sqnr_db
from intq.calibration.registry import make_observer

RNG = np.random.default_rng(0)


def _observed(x: np.ndarray, method: str = "mse"):
    observer = make_observer("t", method)
    observer.observe(x)
    return observer


def _measured_db(x: np.ndarray, observer, bits: int) -> float:
    step = observer.threshold(bits) / qmax(bits, observer.non_negative)
    low = 0 if observer.non_negative else -qmax(bits, False)
    q = np.clip(np.round(x / step), low, qmax(bits, observer.non_negative)) * step
    return 10 * math.log10(np.abs(x).mean() ** 2 / ((x - q) ** 2).mean())


@pytest.mark.parametrize("method", ["mse", "minmax", "percentile"])
@pytest.mark.parametrize("data", [RNG.normal(size=(512, 32)), RNG.uniform(0, 3, (512, 32)),
                                  RNG.laplace(size=(512, 32))])
@pytest.mark.parametrize("bits", [4, 8])
def test_histogram_estimate_matches_the_data(method, data, bits):
    observer = _observed(data, method)
    assert sqnr_db(observer, bits) == pytest.approx(_measured_db(data, observer, bits), abs=0.1)


def test_an_outlier_channel_costs_more_than_25_db():
    bulk = RNG.normal(size=(1000, 64))
    outlier = bulk.copy()
    outlier[:, 0] *= 60
    assert sqnr_db(_observed(bulk), 8) - sqnr_db(_observed(outlier), 8) > 25


def test_sixteen_bits_gain_about_6_db_per_bit():
    observer = _observed(RNG.normal(size=(1000, 64)))
    assert sqnr_db(observer, 16) - sqnr_db(observer, 8) == pytest.approx(48, abs=2)


def test_an_all_zero_tensor_loses_nothing():
    assert sqnr_db(_observed(np.zeros((4, 4))), 8) == SILENT_DB
