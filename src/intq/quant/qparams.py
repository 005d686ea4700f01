"""Symmetric scales and the float <-> integer steps at the edges of an integer model.

``quantize`` is the only place where floats become integers (model inputs, weights, biases,
lookup-table entries). It rounds half to even, like ONNX ``QuantizeLinear`` and
``torch.quantize_per_tensor``, dividing in the input's own float precision as ONNX does, so an
exported model quantizes its inputs to the same integers.
"""

from __future__ import annotations

import numpy as np

from intq.quant.fixedpoint import int_range, storage_dtype

BIAS_BITS = 32


def symmetric_scale(threshold: float, bits: int, signed: bool) -> float:
    """Scale mapping ``[-threshold, threshold]`` (``[0, threshold]`` unsigned) onto the grid.

    Signed grids use ``2^(b-1) - 1`` steps per side so that ``-q`` is representable.
    """
    threshold = float(threshold)
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"threshold must be finite and positive, got {threshold!r}")
    return threshold / int_range(bits, signed)[1]


def quantize(x: np.ndarray, scale: float | np.ndarray, bits: int, signed: bool,
             axis: int | None = None) -> np.ndarray:
    """``saturate(round_half_even(x / scale))``; an array ``scale`` is per channel on ``axis``."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise ValueError(f"quantize needs a floating array, got dtype {x.dtype}")
    if np.isnan(x).any():
        raise ValueError("cannot quantize NaN values")
    ftype = np.promote_types(x.dtype, np.float32)
    with np.errstate(over="ignore"):
        q = np.rint(x.astype(ftype, copy=False) / _broadcast_scale(scale, x.shape, axis, ftype))
    lo, hi = int_range(bits, signed)
    return np.clip(q.astype(np.float64), lo, hi).astype(storage_dtype(bits, signed))


def dequantize(q: np.ndarray, scale: float | np.ndarray, axis: int | None = None,
               dtype: np.dtype | type = np.float32) -> np.ndarray:
    """``q * scale`` computed in ``dtype``, as ONNX ``DequantizeLinear`` does."""
    q = np.asarray(q)
    if q.dtype.kind not in "iu":
        raise ValueError(f"dequantize needs an integer array, got dtype {q.dtype}")
    dtype = np.dtype(dtype)
    return q.astype(dtype) * _broadcast_scale(scale, q.shape, axis, dtype)


WEIGHT_CLIPPING = ("max", "mse")
"""How a weight channel's threshold is chosen: its max |w|, or the threshold minimising the
channel's squared rounding-plus-clipping error."""
MSE_CANDIDATES = np.linspace(0.2, 1.0, 161)
"""Thresholds searched by ``"mse"`` clipping, as fractions of the channel's max |w| (steps of
0.5 %; the max itself is a candidate, so the result is never worse than ``"max"``)."""


def quantize_weight_per_channel(w: np.ndarray, bits: int = 8, axis: int = 0,
                                clipping: str = "max") -> tuple[np.ndarray, np.ndarray]:
    """Signed symmetric quantization with one float64 scale per slice along ``axis``: integers
    in ``[-qmax, qmax]`` (never the extra negative code).

    ``clipping="max"``: the scale maps each channel's max |w| to the largest integer;
    ``"mse"``: each channel's threshold is the candidate of ``MSE_CANDIDATES`` with the least
    squared error ``sum((w - s*q)**2)`` (ties to the larger threshold), which matters below
    8 bits where a few outliers otherwise waste most of the grid.
    An all-zero channel has no range of its own; it borrows the largest scale of the other
    channels (1.0 if all are zero) so that its bias quantizes like its neighbours'.
    """
    w = np.asarray(w, dtype=np.float64)
    if not np.isfinite(w).all():
        raise ValueError("weights contain NaN or infinity")
    if not -w.ndim <= axis < w.ndim:
        raise ValueError(f"axis {axis} is out of range for weights of rank {w.ndim}")
    if clipping not in WEIGHT_CLIPPING:
        raise ValueError(f"weight clipping {clipping!r} is not one of {WEIGHT_CLIPPING}")
    others = tuple(i for i in range(w.ndim) if i != axis % w.ndim)
    maxabs = np.abs(w).max(axis=others) if w.size else np.zeros(w.shape[axis])
    top = int_range(bits, True)[1]
    scales = maxabs / top
    if clipping == "mse" and w.size:
        scales = _mse_scales(np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1), scales, bits)
    fallback = scales.max() if scales.size and scales.max() > 0 else 1.0
    scales = np.where(scales > 0, scales, fallback)
    q = quantize(w, scales, bits, True, axis)
    return np.clip(q, -top, top, out=q), scales


def _mse_scales(rows: np.ndarray, max_scales: np.ndarray, bits: int) -> np.ndarray:
    """Per row, the scale among ``MSE_CANDIDATES * max_scale`` with the least squared error
    (ties to the larger scale).

    Branch and bound, with the same result as scoring every candidate of every row: a coarse
    subset of candidates is scored first; a candidate whose clipping error alone (the values
    beyond its threshold, from sorted magnitudes and their suffix sums) exceeds the row's best
    error cannot win, so only the others are scored, row by row as a full search scores
    them."""
    hi = int_range(bits, True)[1]
    fractions = MSE_CANDIDATES[::-1]
    errors = np.full((rows.shape[0], fractions.size), np.inf)
    coarse = np.zeros(fractions.size, bool)
    coarse[::_MSE_COARSE] = True
    for j in np.flatnonzero(coarse):
        errors[:, j] = _row_errors(rows, max_scales * fractions[j], hi)
    bound = errors.min(axis=1)
    clipping = _clipping_errors(rows, max_scales * hi, fractions)
    for j in np.flatnonzero(~coarse):
        hopeful = np.flatnonzero(clipping[:, j] <= bound * (1 + 1e-9))
        if hopeful.size:
            errors[hopeful, j] = _row_errors(rows[hopeful], max_scales[hopeful] * fractions[j],
                                             hi)
    best = np.argmin(errors, axis=1)   # the first minimum: the largest fraction
    return max_scales * fractions[best]


_MSE_COARSE = 8
"""Stride of the bounding pass over ``MSE_CANDIDATES``."""


def _row_errors(rows: np.ndarray, scales: np.ndarray, hi: int) -> np.ndarray:
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    return ((rows - np.clip(np.rint(rows / safe), -hi, hi) * safe) ** 2).sum(axis=1)


def _clipping_errors(rows: np.ndarray, maxabs: np.ndarray, fractions: np.ndarray
                     ) -> np.ndarray:
    """``[row, j]``: the sum of ``(|w| - T)^2`` over the row's values beyond ``T =
    fractions[j] * maxabs[row]``, a lower bound of the row's squared error at that threshold
    (a value at the edge may be counted on either side; it adds about nothing there)."""
    count, n = rows.shape
    a = np.sort(np.abs(rows), axis=1)
    relative = a / np.where(maxabs > 0, maxabs, 1.0)[:, None]
    offsets = (max(float(relative.max(initial=0.0)), float(fractions.max())) + 1.0) \
        * np.arange(count)
    flat = (relative + offsets[:, None]).ravel()
    below = np.searchsorted(flat, fractions[None, :] + offsets[:, None], side="right")
    below -= (n * np.arange(count))[:, None]
    s1 = np.concatenate([np.cumsum(a[:, ::-1], axis=1)[:, ::-1], np.zeros((count, 1))], axis=1)
    s2 = np.concatenate([np.cumsum((a * a)[:, ::-1], axis=1)[:, ::-1], np.zeros((count, 1))],
                        axis=1)
    r = np.arange(count)[:, None]
    t = fractions[None, :] * maxabs[:, None]
    beyond = n - below
    return np.maximum(s2[r, below] - 2 * t * s1[r, below] + t * t * beyond, 0.0)


def quantize_bias(bias: np.ndarray, x_scale: float, w_scales: float | np.ndarray) -> np.ndarray:
    """int32 bias at the accumulator scale ``x_scale * w_scale``; refuses to overflow int32."""
    bias = np.asarray(bias, dtype=np.float64)
    if not np.isfinite(bias).all():
        raise ValueError("bias contains NaN or infinity")
    scale = _positive_scales(float(x_scale) * np.asarray(w_scales, dtype=np.float64))
    if scale.ndim and scale.shape != bias.shape:
        raise ValueError(f"bias shape {bias.shape} does not match weight scales {scale.shape}")
    q = np.rint(bias / scale)
    lo, hi = int_range(BIAS_BITS, True)
    if q.size and (q.min() < lo or q.max() > hi):
        raise ValueError("bias does not fit int32 at scale x_scale*w_scale; the input or weight "
                         "scale is too small for it")
    return q.astype(np.int32)


def bias_fitting_scales(bias: np.ndarray, x_scale: float, w_scales: np.ndarray) -> np.ndarray:
    """The smallest weight scales, each ``>= w_scales``, at which ``quantize_bias`` fits int32.

    A folded BatchNorm can leave a channel with tiny weights and a large bias; at
    ``x_scale * w_scale`` its bias needs more than 32 bits. Raising that channel's weight scale
    (coarser weights, the standard remedy) to about ``|bias| / (x_scale * (2^31 - 1/2))`` is
    the least change that makes it fit: the search starts just below and steps up one float at
    a time, so at the next smaller float ``|q|`` would pass ``2^31 - 1`` (the symmetric limit;
    -2^31 is not used). Channels that already fit keep their scale.
    """
    bias = np.asarray(bias, dtype=np.float64)
    w_scales = _positive_scales(np.asarray(w_scales, dtype=np.float64))
    x_scale = float(x_scale)
    hi = int_range(BIAS_BITS, True)[1]
    scales = np.array(np.broadcast_to(w_scales, bias.shape), dtype=np.float64)
    over = np.abs(np.rint(bias / (x_scale * scales))) > hi
    scales[over] = np.abs(bias[over]) / x_scale / (hi + 0.5) * (1 - 1e-13)  # below, then up
    while True:
        still = np.abs(np.rint(bias / (x_scale * scales))) > hi
        if not still.any():
            return scales
        scales[still] = np.nextafter(scales[still], np.inf)


def _broadcast_scale(scale: float | np.ndarray, data_shape: tuple[int, ...], axis: int | None,
                     dtype: np.dtype) -> np.ndarray:
    s = _positive_scales(np.asarray(scale, dtype=np.float64))
    if s.ndim == 0:
        return s.astype(dtype)
    ndim = len(data_shape)
    if s.ndim != 1 or axis is None or not -ndim <= axis < ndim or data_shape[axis] != s.size:
        raise ValueError(f"per-channel scales ({s.size}) must be 1-D and match the channel axis "
                         f"{axis} of shape {data_shape}")
    shape = [1] * ndim
    shape[axis] = s.size
    return s.reshape(shape).astype(dtype)


def _positive_scales(s: np.ndarray) -> np.ndarray:
    if s.size == 0 or not np.isfinite(s).all() or s.min() <= 0:
        raise ValueError("scales must be finite and positive")
    return s
