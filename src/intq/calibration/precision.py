"""What a tensor loses on a ``bits``-wide grid, read from its calibration histogram.

The measure is the typical value's signal-to-quantization-noise ratio,
``E[|x|]^2 / E[(x - Q(x))^2]`` at the calibrated threshold. It needs no extra pass over the
data (the histogram holds the distribution), and it sees what an outlier channel ruins: the
few large values stretch the grid that every ordinary value is rounded to. The usual
power ratio ``E[x^2] / E[(x - Q(x))^2]`` would not: its signal is dominated by the outliers
themselves (one channel in a hundred at 50x carries 96 % of the power), so it stays high
while the other channels drown in rounding noise; the mean magnitude moves little with a
few outliers. Both moments use the model the MSE search uses (values spread evenly inside
each bin), so they are exact for the histogram and cost one vectorised pass over its bins.
"""

from __future__ import annotations

import math

import numpy as np

from intq.calibration.histogram import to_bins
from intq.calibration.mse import squared_error_integral
from intq.calibration.observer import Observer, qmax

SILENT_DB = math.inf
"""SQNR of a tensor that is zero everywhere (nothing to lose)."""


def sqnr_db(observer: Observer, bits: int) -> float:
    """Expected SQNR in dB of the observed tensor's mean magnitude on its calibrated
    ``bits``-wide grid."""
    state = observer.state_dict()
    counts, exponent = state["counts"], int(state["exponent"])
    threshold = observer.threshold(bits)
    if threshold <= 0:
        return SILENT_DB
    used = int(np.flatnonzero(counts)[-1]) + 1
    hist = counts[:used].astype(np.float64)
    edges = np.arange(used + 1, dtype=np.float64)
    mean_magnitude = float(((edges[:-1] + 0.5) * hist).sum() / hist.sum())
    grid_max = qmax(bits, observer.non_negative)
    noise = float((np.diff(squared_error_integral(edges, to_bins(threshold, exponent),
                                                  grid_max)) * hist).sum())
    if noise <= 0:
        return SILENT_DB
    return 10 * math.log10(mean_magnitude ** 2 * hist.sum() / noise)
