"""Resize (opset 18+ form): nearest, linear and cubic interpolation over any axes.

Interpolation is separable, so each resized axis is handled on its own. Coordinates are
computed in float32 with the same formulas ONNX Runtime uses, because nearest-neighbour picks
flip on the last bit at exact half-way points; an axis whose scale is exactly 1 is copied
unchanged, as ONNX Runtime does, whatever the coordinate mode says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import Dim, TensorType
from intq.ops.base import UNKNOWN, known_rank, normalize_axis, unknown_shape
from intq.ops.registry import OpDef, register

f32 = np.float32


def resize_plan(shape: Sequence[Dim], attrs: dict[str, Any], scales: np.ndarray | None,
                sizes: np.ndarray | None) -> tuple[list[Dim], list[float]]:
    """Output dims and per-axis float32 scales from either ``scales`` or ``sizes``."""
    rank = len(shape)
    axes = [normalize_axis(a, rank, "Resize axis") for a in attrs["axes"]] or list(range(rank))
    out, factors = list(shape), [1.0] * rank
    if scales is not None and np.asarray(scales).size:
        values = np.asarray(scales, dtype=f32).reshape(-1)
        if len(values) != len(axes):
            raise ValueError(f"Resize has {len(values)} scales for {len(axes)} axes")
        for axis, s in zip(axes, values):
            factors[axis] = float(s)
            if isinstance(shape[axis], int):
                out[axis] = int(s * f32(shape[axis]))
            elif s != 1:
                out[axis] = UNKNOWN
        return out, factors
    if sizes is None or not np.asarray(sizes).size:
        raise ValueError("Resize needs a 'scales' or a 'sizes' input")
    wanted = np.asarray(sizes).reshape(-1)
    if len(wanted) != len(axes):
        raise ValueError(f"Resize has {len(wanted)} sizes for {len(axes)} axes")
    for axis, size in zip(axes, wanted):
        out[axis] = int(size)
        if isinstance(shape[axis], int):
            factors[axis] = float(f32(size) / f32(shape[axis])) if shape[axis] else 1.0
    policy = attrs["keep_aspect_ratio_policy"]
    if policy != "stretch":
        pick = min if policy == "not_larger" else max
        common = pick(f32(factors[a]) for a in axes)
        for axis in axes:
            factors[axis] = float(common)
            if isinstance(shape[axis], int):
                out[axis] = int(np.floor(float(common * f32(shape[axis])) + 0.5))
            else:
                out[axis] = UNKNOWN
    return out, factors


def original_coords(mode: str, length_in: int, length_out: int, scale: float,
                    roi: tuple[float, float]) -> np.ndarray:
    """Input coordinate of each output index (float32, as ONNX Runtime computes it)."""
    x = np.arange(length_out, dtype=f32)
    s, n_in, n_out = f32(scale), f32(length_in), f32(length_out)
    half = f32(0.5)
    if mode == "half_pixel":
        return (x + half) / s - half
    if mode == "asymmetric":
        return x / s
    if mode == "pytorch_half_pixel":
        return (x + half) / s - half if length_out > 1 else np.zeros_like(x)
    if mode == "tf_half_pixel_for_nn":
        return (x + half) / s
    if mode == "align_corners":
        if length_out == 1:
            return np.zeros_like(x)
        return x * (n_in - 1) / (n_out - 1)
    if mode == "half_pixel_symmetric":
        adjustment = n_out / (s * n_in)
        offset = (n_in / f32(2)) * (1 - adjustment)
        return offset + (x + half) / s - half
    if mode == "tf_crop_and_resize":
        start, end = f32(roi[0]), f32(roi[1])
        if length_out == 1:
            return np.full(1, 0.5 * (float(start) + float(end)) * (length_in - 1), dtype=f32)
        return start * (n_in - 1) + (x * (end - start) * (n_in - 1)) / (n_out - 1)
    raise UnsupportedOpError(f"Resize coordinate_transformation_mode '{mode}' is not supported")


def nearest_index(coords: np.ndarray, mode: str) -> np.ndarray:
    """ONNX Runtime's rounding of a coordinate to a pixel (``std::round`` rounds half away
    from zero)."""
    if mode == "floor":
        return np.floor(coords)
    if mode == "ceil":
        return np.ceil(coords)
    away = np.trunc(coords + np.copysign(f32(0.5), coords))
    if mode == "round_prefer_ceil":
        return away
    if mode == "round_prefer_floor":
        halfway = coords == np.trunc(coords) + f32(0.5)
        return np.where(halfway, np.floor(coords), away)
    raise UnsupportedOpError(f"Resize nearest_mode '{mode}' is not supported")


def cubic_weights(t: np.ndarray, a: float) -> np.ndarray:
    """Keys cubic convolution weights of the 4 neighbours at offsets -1, 0, 1, 2."""
    a = f32(a)
    d = np.stack([t + 1, t, 1 - t, 2 - t], axis=-1)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, far).astype(f32)


def _along(axis: int, ndim: int) -> list[int]:
    return [-1 if i == axis else 1 for i in range(ndim)]


def resize_axis(x: np.ndarray, axis: int, length_out: int, scale: float, attrs: dict[str, Any],
                roi: tuple[float, float]) -> np.ndarray:
    n = x.shape[axis]
    mode = attrs["mode"]
    coords = original_coords(attrs["coordinate_transformation_mode"], n, length_out, scale, roi)
    shape = _along(axis, x.ndim)
    if mode == "nearest":
        index = np.clip(nearest_index(coords, attrs["nearest_mode"]), 0, n - 1).astype(np.int64)
        y = np.take(x, index, axis=axis)
    elif mode == "linear":
        v = np.clip(coords, f32(0), f32(n - 1))
        lo = np.minimum(v.astype(np.int64), n - 1)
        hi = np.minimum(lo + 1, n - 1)
        w_hi = np.abs(v - lo.astype(f32))
        w_lo = np.abs(v - hi.astype(f32))
        same = lo == hi
        w_hi[same], w_lo[same] = 0.5, 0.5
        y = (np.take(x, lo, axis=axis) * w_lo.reshape(shape)
             + np.take(x, hi, axis=axis) * w_hi.reshape(shape))
    elif mode == "cubic":
        base = np.floor(coords)
        weights = cubic_weights(coords - base, attrs["cubic_coeff_a"])
        taps = base.astype(np.int64)[:, None] + np.arange(-1, 3)
        if attrs["exclude_outside"]:
            weights = np.where((taps >= 0) & (taps < n), weights, f32(0))
            weights = weights / weights.sum(axis=1, keepdims=True)
        taps = np.clip(taps, 0, n - 1)
        y = sum(np.take(x, taps[:, k], axis=axis) * weights[:, k].reshape(shape)
                for k in range(4))
    else:
        raise UnsupportedOpError(f"Resize mode '{mode}' is not supported; use nearest, linear "
                                 "or cubic")
    if attrs["coordinate_transformation_mode"] == "tf_crop_and_resize":
        outside = (coords < 0) | (coords > n - 1)
        y = np.where(outside.reshape(shape), x.dtype.type(attrs["extrapolation_value"]), y)
    return y.astype(x.dtype, copy=False)


@register
class Resize(OpDef):
    """Resize by ``scales`` or to ``sizes`` (inputs 2 and 3; ``roi`` is read only by
    ``tf_crop_and_resize``); ``axes`` empty means every axis. Anti-aliasing is not supported."""

    op_type = "Resize"
    attrs = {"antialias": 0, "axes": [], "coordinate_transformation_mode": "half_pixel",
             "cubic_coeff_a": -0.75, "exclude_outside": 0, "extrapolation_value": 0.0,
             "keep_aspect_ratio_policy": "stretch", "mode": "nearest",
             "nearest_mode": "round_prefer_floor"}
    shape_inputs = (2, 3)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, roi: np.ndarray | None = None,
                 scales: np.ndarray | None = None, sizes: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        if attrs["antialias"]:
            raise UnsupportedOpError("Resize with antialias=1 is not supported; export the "
                                     "model without anti-aliasing")
        out, factors = resize_plan(x.shape, attrs, scales, sizes)
        bounds = self.roi(x.ndim, attrs, roi)
        y = x
        for axis in range(x.ndim):
            if factors[axis] != 1.0:
                y = resize_axis(y, axis, out[axis], factors[axis], attrs, bounds[axis])
        return [y]

    @staticmethod
    def roi(rank: int, attrs: dict[str, Any], roi: np.ndarray | None
            ) -> list[tuple[float, float]]:
        bounds = [(0.0, 1.0)] * rank
        if attrs["coordinate_transformation_mode"] != "tf_crop_and_resize" or roi is None:
            return bounds
        values = np.asarray(roi, dtype=f32).reshape(-1)
        axes = [normalize_axis(a, rank, "Resize axis") for a in attrs["axes"]] or list(range(rank))
        half = len(values) // 2
        for i, axis in enumerate(axes):
            bounds[axis] = (float(values[i]), float(values[half + i]))
        return bounds

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        params = list(consts) + [None] * (4 - len(consts))
        given = list(types) + [None] * (4 - len(types))
        if not known_rank(x) or any(given[i] is not None and params[i] is None for i in (2, 3)):
            return [unknown_shape(x.dtype, len(x.shape) if known_rank(x) else None)]
        out, _ = resize_plan(x.shape, attrs, params[2], params[3])
        return [TensorType(tuple(out), x.dtype)]
