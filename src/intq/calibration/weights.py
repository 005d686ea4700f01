"""Weight ranges: symmetric per-output-channel max |w|.

Weights are known in full, so no statistics or clipping search are needed: each output
channel's threshold is its largest magnitude, which keeps every weight representable.
"""

from __future__ import annotations

import numpy as np

from intq.calibration.errors import CalibrationError


def per_channel_max_abs(name: str, weight: np.ndarray, axis: int = 0) -> np.ndarray:
    """Max |w| of each slice along ``axis`` (0 for Conv/Gemm/MatMul-as-Gemm, 1 for
    ConvTranspose), as float64; a channel of zeros gives 0."""
    array = np.asarray(weight)
    if array.dtype.kind not in "iuf":
        raise CalibrationError(f"weight '{name}' has dtype {array.dtype}; expected real numbers")
    if array.ndim == 0 or not -array.ndim <= axis < array.ndim:
        raise CalibrationError(f"weight '{name}' of shape {array.shape} has no channel axis "
                               f"{axis}")
    if array.size == 0:
        raise CalibrationError(f"weight '{name}' of shape {array.shape} is empty")
    if not np.isfinite(array).all():
        raise CalibrationError(f"weight '{name}' contains NaN or Inf")
    others = tuple(a for a in range(array.ndim) if a != axis % array.ndim)
    return np.abs(array.astype(np.float64)).max(axis=others)
