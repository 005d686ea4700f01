"""IntResize: linear (bilinear, trilinear) resizing of integers with one rounding.

Per resized axis, output index ``x`` samples the input at ``c = (a x + b) / d`` (exact
rationals: the float32 scale is the fraction ``P / Q`` it stores), clamped to ``[0, n - 1]``
as ONNX does, and rounded once to ``frac_bits`` fraction bits: ``C = round(c 2^F)``. Its two
neighbours ``lo = C >> F`` and ``min(lo + 1, n - 1)`` get the integer weights ``2^F - f`` and
``f = C mod 2^F``, which sum to ``2^F``. The axes are interpolated one after another in int64
without rounding, and the result is rounded once by ``2^(F k)`` (``k`` resized axes), with
intq's tie rule. The weights are non-negative and sum to one, so every output lies between the
smallest and the largest input: the output keeps the input's dtype and grid.

The output length is ONNX's own shape formula (``int(f32(scale) * f32(n))``, or the fixed
``lengths``): shape arithmetic, never applied to data.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from intq.ir.graph import Dim, TensorType
from intq.ops.integer.base import IntegerOp, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.fixedpoint import as_int64, round_half_up_shift

COORDINATE_MODES = ("half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners")
TERM_LIMIT = 1 << 24
"""Bound on the coordinate terms ``a``, ``|b|``, ``d`` and on lengths: with ``frac_bits`` at most
13, ``(a x + b) 2^(F+1) + d`` stays below 2^62."""
MAX_FRAC_BITS = 13


def scale_fraction(scale: float) -> Fraction:
    """The exact rational value of a float32 scale, refused when its terms are too large for
    int64 coordinates (a scale such as 0.3 has a 24-bit numerator and denominator)."""
    s = Fraction(float(np.float32(scale)))
    if s <= 0 or s.numerator >= TERM_LIMIT or s.denominator >= TERM_LIMIT:
        raise ValueError(f"Resize scale {scale!r} must be positive with numerator and "
                         f"denominator below 2^24 (it is {s})")
    return s


def output_length(n: int, scale: float, length: int | None) -> int:
    """ONNX Runtime's output length: the fixed ``length`` or ``int(f32(scale) * f32(n))``."""
    if length is not None:
        return int(length)
    return int(np.float32(scale) * np.float32(n))


def coordinate_terms(mode: str, n_in: int, n_out: int, scale: float) -> tuple[int, int, int]:
    """``(a, b, d)`` with input coordinate ``(a x + b) / d`` of output index ``x``."""
    s = scale_fraction(scale)
    p, q = s.numerator, s.denominator
    if mode == "asymmetric":
        return q, 0, p
    if mode == "half_pixel" or (mode == "pytorch_half_pixel" and n_out > 1):
        return 2 * q, q - p, 2 * p
    if mode == "pytorch_half_pixel":
        return 0, 0, 1
    if mode == "align_corners":
        return (n_in - 1, 0, n_out - 1) if n_out > 1 else (0, 0, 1)
    raise ValueError(f"IntResize coordinate mode '{mode}' is not one of {COORDINATE_MODES}")


def sample_points(mode: str, n_in: int, n_out: int, scale: float, frac_bits: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(lo, hi, f)`` per output index: the neighbours and the weight ``f`` of ``hi`` (out of
    ``2^frac_bits``)."""
    if not (0 < n_in < TERM_LIMIT and 0 <= n_out < TERM_LIMIT):
        raise ValueError(f"IntResize lengths {n_in} -> {n_out} must be below 2^24")
    a, b, d = coordinate_terms(mode, n_in, n_out, scale)
    x = np.arange(n_out, dtype=np.int64)
    numerator = np.maximum(a * x + b, 0) << (frac_bits + 1)
    position = np.minimum((numerator + d) // (2 * d), (n_in - 1) << frac_bits)
    lo = position >> frac_bits
    return lo, np.minimum(lo + 1, n_in - 1), position & ((1 << frac_bits) - 1)


def interpolate_axis(acc: np.ndarray, axis: int, lo: np.ndarray, hi: np.ndarray,
                     f: np.ndarray, frac_bits: int) -> np.ndarray:
    """``acc[lo] (2^F - f) + acc[hi] f`` along ``axis``, exactly in int64 (no rounding)."""
    shape = [-1 if i == axis else 1 for i in range(acc.ndim)]
    weight_hi = f.reshape(shape)
    return (np.take(acc, lo, axis=axis) * ((1 << frac_bits) - weight_hi)
            + np.take(acc, hi, axis=axis) * weight_hi)


def int_resize(x: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """The reference: ``x`` resized along ``attrs['axes']``, in ``x``'s dtype."""
    axes, scales, lengths = _axes_scales_lengths(attrs, x.ndim)
    frac_bits = _frac_bits(attrs)
    acc = as_int64(x)
    for axis, scale, length in zip(axes, scales, lengths):
        n_out = output_length(x.shape[axis], scale, length)
        lo, hi, f = sample_points(attrs["mode"], x.shape[axis], n_out, scale, frac_bits)
        acc = interpolate_axis(acc, axis, lo, hi, f, frac_bits)
    return round_half_up_shift(acc, frac_bits * len(axes)).astype(x.dtype)


def _frac_bits(attrs: dict[str, Any]) -> int:
    bits = int(attrs["frac_bits"])
    if not 0 <= bits <= MAX_FRAC_BITS:
        raise ValueError(f"IntResize frac_bits must be in 0..{MAX_FRAC_BITS}, got {bits}")
    return bits


def _axes_scales_lengths(attrs: dict[str, Any], rank: int
                         ) -> tuple[list[int], list[float], list[int | None]]:
    axes, scales = [int(a) for a in attrs["axes"]], [float(s) for s in attrs["scales"]]
    lengths = [int(n) for n in attrs["lengths"]] or [None] * len(axes)
    if len(scales) != len(axes) or len(lengths) != len(axes) or len(set(axes)) != len(axes) \
            or any(not 0 <= a < rank for a in axes):
        raise ValueError(f"IntResize needs distinct axes in 0..{rank - 1} with one scale (and "
                         f"one length, if any) each; got axes {axes}, scales {scales}, "
                         f"lengths {attrs['lengths']}")
    return axes, scales, lengths


@register
class IntResize(IntegerOp):
    """Linear resizing of integers with integer weights and one rounding (module docstring).

    Input ``x`` (int). Attributes:
    - ``axes`` (list of int, required): the resized axes, non-negative;
    - ``scales`` (list of float, required): each axis's float32 scale (output / input);
    - ``lengths`` (list of int, default empty): fixed output lengths (from Resize's
      ``sizes``), else ``int(f32(scale) * f32(n))``;
    - ``mode`` (str, default ``half_pixel``): ``half_pixel``, ``pytorch_half_pixel``,
      ``asymmetric`` or ``align_corners``;
    - ``frac_bits`` (int, default 12, at most 13): fraction bits of the weights.
    Output: ``x``'s dtype and grid.
    """

    op_type = "IntResize"
    attrs = {"axes": REQUIRED, "scales": REQUIRED, "lengths": [], "mode": "half_pixel",
             "frac_bits": 12}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [int_resize(x, attrs)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if x.shape is None:
            return [TensorType(None, x.dtype)]
        axes, scales, lengths = _axes_scales_lengths(attrs, len(x.shape))
        shape: list[Dim] = list(x.shape)
        for axis, scale, length in zip(axes, scales, lengths):
            n = shape[axis]
            shape[axis] = (output_length(n, scale, length) if isinstance(n, int)
                           else length if length is not None else "?")
        return [TensorType(tuple(shape), x.dtype)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        """A convex combination rounded once stays inside the input's hull; the int64
        intermediate is ``|x| 2^(F k)``."""
        x = needs_range(ranges, 0, "IntResize input x").hull()
        shift = _frac_bits(attrs) * len(attrs["axes"])
        if x.magnitude() << shift >= 1 << 62:
            raise ValueError(f"IntResize of values up to {x.magnitude()} with {shift} fraction "
                             "bits overflows int64; lower frac_bits")
        return [x]
