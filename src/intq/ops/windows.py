"""Sliding-window geometry shared by Conv, ConvTranspose and the pooling ops.

``pads`` follow ONNX: all begin pads, then all end pads (``[h_begin, w_begin, h_end, w_end]``).
Windows are strided views of the padded input, so convolution becomes one matmul over a
gathered copy and pooling a reduction over the view's kernel axes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import Dim
from intq.ops.base import UNKNOWN


def kernel_ones(attrs: dict[str, Any]) -> list[int]:
    """Default of ``strides``/``dilations``: one per spatial axis of ``kernel_shape``."""
    return [1] * len(attrs["kernel_shape"])


def kernel_zero_pads(attrs: dict[str, Any]) -> list[int]:
    """Default of ``pads``: no padding, two entries per spatial axis."""
    return [0] * (2 * len(attrs["kernel_shape"]))


def kernel_zeros(attrs: dict[str, Any]) -> list[int]:
    """Default of ``output_padding``: zero per spatial axis."""
    return [0] * len(attrs["kernel_shape"])


def check_window_attrs(op: str, attrs: dict[str, Any], spatial_rank: int) -> None:
    """Raise ``ValueError`` when the window attributes do not fit the input's spatial rank."""
    for key, per_axis in (("kernel_shape", 1), ("strides", 1), ("dilations", 1), ("pads", 2)):
        if len(attrs[key]) != per_axis * spatial_rank:
            raise ValueError(f"{op} attribute {key}={attrs[key]} does not fit an input with "
                             f"{spatial_rank} spatial axes")


def output_size(size: Dim, kernel: int, stride: int, dilation: int, pad_begin: int,
                pad_end: int, ceil_mode: bool = False) -> Dim:
    """Number of window positions along one axis, with ONNX Runtime's ceil-mode rule: a last
    window that would start inside the end padding is dropped. A symbolic size survives only
    "same" geometry (stride 1, padding equal to the kernel extent minus one)."""
    if isinstance(size, str):
        same = stride == 1 and pad_begin + pad_end == dilation * (kernel - 1)
        return size if same else UNKNOWN
    span = size + pad_begin + pad_end - dilation * (kernel - 1) - 1
    if span < 0:
        raise ValueError(f"kernel extent {dilation * (kernel - 1) + 1} exceeds padded input "
                         f"size {size + pad_begin + pad_end}")
    if not ceil_mode:
        return span // stride + 1
    count = math.ceil(span / stride) + 1
    if (count - 1) * stride >= size + pad_begin:
        count -= 1
    return count


def output_sizes(spatial: Sequence[Dim], attrs: dict[str, Any], ceil_mode: bool = False
                 ) -> list[Dim]:
    rank = len(spatial)
    pads = attrs["pads"]
    return [output_size(spatial[i], attrs["kernel_shape"][i], attrs["strides"][i],
                        attrs["dilations"][i], pads[i], pads[rank + i], ceil_mode)
            for i in range(rank)]


def windows(x: np.ndarray, kernel: Sequence[int], strides: Sequence[int],
            dilations: Sequence[int], pad_begins: Sequence[int], out: Sequence[int],
            fill: Any) -> np.ndarray:
    """Read-only view ``(N, C, *out, *kernel)`` of ``x`` padded with ``fill``.

    Padding at the end is exactly what the last window needs, so explicit end pads and
    ceil-mode overhang are both covered.
    """
    spatial = x.shape[2:]
    widths = [(0, 0), (0, 0)]
    for size, k, s, d, begin, o in zip(spatial, kernel, strides, dilations, pad_begins, out):
        needed = (o - 1) * s + d * (k - 1) + 1
        widths.append((begin, max(needed - size - begin, 0)))
    if any(w != (0, 0) for w in widths):
        x = np.pad(x, widths, constant_values=fill)
    step = x.strides[2:]
    shape = (*x.shape[:2], *out, *kernel)
    view_strides = (*x.strides[:2], *(st * s for st, s in zip(step, strides)),
                    *(st * d for st, d in zip(step, dilations)))
    return np.lib.stride_tricks.as_strided(x, shape, view_strides, writeable=False)
