"""MSE calibration: the threshold minimising expected squared error of quantize-dequantize.

For a threshold T the grid step is ``T / qmax``; values up to T suffer rounding error, values
beyond T clipping error. Treating the values of each bin as spread evenly across it, the
expected error of a bin is an integral with a closed form, so every candidate (each bin edge
and the max itself) is scored exactly under that model, not by sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from intq.calibration.observer import Observer

_BLOCK = 16
"""Candidates scored per vectorised step: keeps the temporaries in cache."""


@dataclass(frozen=True)
class MseConfig:
    """MSE calibration has no options: the grid follows from the bit width."""


def squared_error_integral(x: np.ndarray, threshold: np.ndarray, grid_max: int) -> np.ndarray:
    """``∫_0^x (t - Q(t))^2 dt`` where Q rounds to the grid ``k * threshold / grid_max`` and
    clamps at ``threshold``; broadcasts ``x`` against ``threshold``.

    On the grid, with ``u = t / step``, the rounding error's antiderivative is
    ``step^3 * (n / 12 + (u - n)^3 / 3)`` with ``n = floor(u + 1/2)``; beyond the
    threshold the clipping error adds ``(x - T)^3 / 3``."""
    step = threshold / grid_max
    u = np.minimum(x, threshold) / step
    n = np.floor(u + 0.5)
    u -= n
    return step ** 3 * (n / 12 + u ** 3 / 3) + np.maximum(x - threshold, 0) ** 3 / 3


def mse_threshold_bins(counts: np.ndarray, top: float, grid_max: int) -> float:
    """Threshold (bin units) with the least expected squared error over the histogram; the
    candidates are every bin edge below ``top`` (the max |x|) and ``top`` itself. Sums avoid
    BLAS so the result does not depend on its thread count."""
    used = int(np.flatnonzero(counts)[-1]) + 1
    hist = counts[:used].astype(np.float64)
    edges = np.arange(used + 1, dtype=np.float64)
    candidates = np.append(np.arange(1, math.ceil(top), dtype=np.float64), top)
    errors = np.empty(candidates.size)
    for start in range(0, candidates.size, _BLOCK):
        block = candidates[start:start + _BLOCK, None]
        integral = squared_error_integral(edges, block, grid_max)
        errors[start:start + _BLOCK] = (np.diff(integral, axis=1) * hist).sum(axis=1)
    return float(candidates[int(np.argmin(errors))])


class MseObserver(Observer):
    method = "mse"
    config_type = MseConfig

    def _threshold_bins(self, counts: np.ndarray, top: float, grid_max: int) -> float:
        return mse_threshold_bins(counts, top, grid_max)
