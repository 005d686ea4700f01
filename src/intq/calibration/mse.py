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
    BLAS so the result does not depend on its thread count.

    A candidate's error is its rounding part (the bins below it, ``_rounding_errors``) plus
    its clipping part (the bins above it, closed form, ``_clipping_errors``). Branch and
    bound: a coarse subset is scored first, and a candidate whose clipping part alone exceeds
    the best error found cannot win, so only the others are scored in full."""
    used = int(np.flatnonzero(counts)[-1]) + 1
    hist = counts[:used].astype(np.float64)
    edges = np.arange(1, math.ceil(top), dtype=np.float64)
    clipping = _clipping_errors(hist, edges)
    errors = np.full(edges.size, np.inf)
    coarse = np.arange(0, edges.size, _COARSE)
    errors[coarse] = _rounding_errors(hist, edges[coarse], grid_max) + clipping[coarse]
    last = float(_full_errors(hist, np.array([top]), grid_max)[0])
    bound = min(errors.min(initial=np.inf), last)
    hopeful = np.setdiff1d(np.flatnonzero(clipping <= bound), coarse)
    errors[hopeful] = _rounding_errors(hist, edges[hopeful], grid_max) + clipping[hopeful]
    if edges.size and errors.min() <= last:
        return float(edges[int(np.argmin(errors))])
    return float(top)


_COARSE = 32
"""Stride of the first, bounding pass over the candidates."""


def _rounding_errors(hist: np.ndarray, thresholds: np.ndarray, grid_max: int) -> np.ndarray:
    """For integer thresholds T (ascending): ``sum over bins i < T of h_i * ∫_i^{i+1}
    (t - Q(t))^2 dt``, the rounding part of the expected error. By parts, it is
    ``step^3 * sum_j (h_{j-1} - h_j) * ρ(j / step)`` over the edges j <= T with
    ``ρ(u) = n / 12 + (u - n)^3 / 3``, ``n = floor(u + 1/2)`` (``squared_error_integral``
    in step units), and an edge at T or beyond adds nothing the clipping part does not hold."""
    out = np.empty(thresholds.size)
    dh = np.concatenate([[0.0], hist]) - np.append(hist, 0.0)   # h_{j-1} - h_j, j = 0..used
    for start in range(0, thresholds.size, _BLOCK):
        block = thresholds[start:start + _BLOCK]
        stop = int(block[-1]) + 1
        step = block[:, None] / grid_max
        u = np.arange(stop, dtype=np.float64) / step
        u = np.minimum(u, grid_max, out=u)
        n = np.floor(u + 0.5)
        u -= n
        rho = n / 12 + u * u * u / 3
        weights = np.where(np.arange(stop) < block[:, None], dh[:stop], 0.0)
        weights[np.arange(block.size), block.astype(np.intp)] += hist[block.astype(np.intp) - 1]
        out[start:start + _BLOCK] = step[:, 0] ** 3 * (rho * weights).sum(axis=1)
    return out


def _full_errors(hist: np.ndarray, thresholds: np.ndarray, grid_max: int) -> np.ndarray:
    """The expected error of any thresholds, straight from ``squared_error_integral``."""
    edges = np.arange(hist.size + 1, dtype=np.float64)
    integral = squared_error_integral(edges, thresholds[:, None], grid_max)
    return (np.diff(integral, axis=1) * hist).sum(axis=1)


def _clipping_errors(hist: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For integer thresholds T: the clipping part of the expected error,
    ``sum over bins i >= T of h_i * ((i - T)^2 + (i - T) + 1/3)`` (each bin's values spread
    evenly over [i, i + 1)), from suffix sums of h, h*i and h*i^2 (exact in float64 up to
    2^53 counts-times-bins²)."""
    i = np.arange(hist.size, dtype=np.float64)
    suffix = [np.append(np.cumsum((hist * i ** k)[::-1])[::-1], 0.0) for k in range(3)]
    t = thresholds.astype(np.intp)
    s0, s1, s2 = (s[t] for s in suffix)
    return s2 - 2 * thresholds * s1 + thresholds * thresholds * s0 + s1 - thresholds * s0 \
        + s0 / 3


class MseObserver(Observer):
    method = "mse"
    config_type = MseConfig

    def _threshold_bins(self, counts: np.ndarray, top: float, grid_max: int) -> float:
        return mse_threshold_bins(counts, top, grid_max)
