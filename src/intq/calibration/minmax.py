"""Min/max calibration: clip at the largest |x| seen (MXNet's "naive" mode).

No value is ever clipped, so one outlier coarsens the grid for every other value; cheap and
the right choice for tensors whose range is known to be tight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intq.calibration.observer import Observer


@dataclass(frozen=True)
class MinMaxConfig:
    """Min/max calibration has no options."""


class MinMaxObserver(Observer):
    method = "minmax"
    config_type = MinMaxConfig

    def _threshold_bins(self, counts: np.ndarray, top: float, grid_max: int) -> float:
        return top
