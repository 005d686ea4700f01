"""Sliding windows as ONNX data movement: one strided Slice of the padded input per kernel tap.

Convolutions and pools become sums (or maxima) over taps, so only exact integer kernels
(Slice, Concat, Mul, Add, MatMul) touch the values. Slice ends are counted from the end of
the padded input, so the export needs no static spatial sizes: tap ``o`` along an axis with
kernel ``k`` and dilation ``d`` starts at ``o*d`` and ends ``(k-1-o)*d`` before the end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.ort_support import emit_widened

END = np.iinfo(np.int64).max


def pad_spatial(b: OnnxBuilder, x: str, pads: Sequence[int], value: int = 0) -> str:
    """Pad the spatial axes of ``N x C x spatial`` tensor ``x`` (ONNX ``pads`` order)."""
    if not any(pads):
        return x
    rank = len(pads) // 2
    full = [0, 0, *pads[:rank], 0, 0, *pads[rank:]]
    fill = b.const(value, b.dtype(x), "pad_value")
    return emit_widened(b, "Pad", [x, b.const(full, "int64", "pads"), fill], [b.dtype(x)],
                        mode="constant")[0]


def tap_slices(b: OnnxBuilder, x: str, kernel: Sequence[int], strides: Sequence[int],
               dilations: Sequence[int], axes: Sequence[int]) -> list[str]:
    """For each tap of ``kernel`` (in ``np.ndindex`` order), the strided slice of the padded
    ``x`` along ``axes`` that the tap meets in every window."""
    taps = []
    steps = b.const(list(strides), "int64", "steps")
    axes_c = b.const(list(axes), "int64", "axes")
    for offset in np.ndindex(*kernel):
        starts = [o * d for o, d in zip(offset, dilations)]
        ends = [-(k - 1 - o) * d or END for o, k, d in zip(offset, kernel, dilations)]
        taps.append(b.op("Slice", [x, b.const(starts, "int64", "starts"),
                                   b.const(ends, "int64", "ends"), axes_c, steps], hint="tap"))
    return taps
