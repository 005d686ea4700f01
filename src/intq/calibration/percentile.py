"""Percentile calibration: clip at a high percentile of |x|, read from the histogram.

Samples are never kept (memory must not grow with the calibration set), so the percentile is
interpolated inside bins assuming the values of a bin are spread evenly across it; the result
is within one bin width of NumPy's exact (linear) percentile of |x|.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from intq.calibration.errors import CalibrationError
from intq.calibration.observer import Observer


@dataclass(frozen=True)
class PercentileConfig:
    """``percentile``: share of |x| values (in percent, 0 < p <= 100) left unclipped."""

    percentile: float = 99.99

    def __post_init__(self) -> None:
        p = self.percentile
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p <= 100:
            raise CalibrationError(f"percentile {p!r} must be a number in (0, 100]")


def percentile_bins(counts: np.ndarray, percentile: float, top: float) -> float:
    """The ``percentile`` of the histogrammed values in bin units (NumPy's linear method);
    ``top`` is the exact largest value.

    The k-th smallest value, in a bin holding ``n`` values of which ``j`` are smaller, is
    placed at ``bin + (k - j + 0.5) / n`` (the largest at ``top``); neighbouring ranks are
    interpolated linearly."""
    cumulative = np.cumsum(counts)
    last = int(cumulative[-1]) - 1
    rank = percentile / 100 * last
    below = math.floor(rank)
    at_below = _value_of_rank(counts, cumulative, below, top)
    at_above = _value_of_rank(counts, cumulative, min(below + 1, last), top)
    return at_below + (rank - below) * (at_above - at_below)


def _value_of_rank(counts: np.ndarray, cumulative: np.ndarray, rank: int, top: float) -> float:
    if rank == int(cumulative[-1]) - 1:
        return top
    bin_ = int(np.searchsorted(cumulative, rank, side="right"))
    smaller = int(cumulative[bin_]) - int(counts[bin_])
    return min(bin_ + (rank - smaller + 0.5) / int(counts[bin_]), top)


class PercentileObserver(Observer):
    method = "percentile"
    config_type = PercentileConfig

    def _threshold_bins(self, counts: np.ndarray, top: float, grid_max: int) -> float:
        return percentile_bins(counts, self.config.percentile, top)
