"""Big-integer references for the integer kernels: Python ints, one output at a time."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np


def conv_reference(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, attrs: dict[str, Any]
                   ) -> np.ndarray:
    """Direct grouped convolution in Python ints (object arrays), straight from the definition."""
    kernel, strides, dilations = attrs["kernel_shape"], attrs["strides"], attrs["dilations"]
    rank, groups = len(kernel), attrs["group"]
    pads = attrs["pads"]
    xp = np.pad(x.astype(object), [(0, 0), (0, 0), *zip(pads[:rank], pads[rank:])],
                constant_values=0)
    n, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // groups, m // groups
    out = [(xp.shape[2 + i] - dilations[i] * (kernel[i] - 1) - 1) // strides[i] + 1
           for i in range(rank)]
    y = np.zeros((n, m, *out), dtype=object)
    wo = w.astype(object)
    for pos in itertools.product(*(range(o) for o in out)):
        for tap in itertools.product(*(range(k) for k in kernel)):
            src = tuple(p * s + t * d for p, s, t, d in zip(pos, strides, tap, dilations))
            for g in range(groups):
                xs = xp[(slice(None), slice(g * cg, (g + 1) * cg), *src)]
                ws = wo[(slice(g * mg, (g + 1) * mg), slice(None), *tap)]
                y[(slice(None), slice(g * mg, (g + 1) * mg), *pos)] += xs.dot(ws.T)
    if b is not None:
        y += b.astype(object).reshape(-1, *([1] * rank))
    return y


def rescale_reference(value: int, m: int, k: int, lo: int, hi: int) -> int:
    """``clamp(round(value * m / 2^k))`` with ties towards +infinity, by exact rationals."""
    exact = Fraction(value * m, 2**k)
    return min(max(math.floor(exact + Fraction(1, 2)), lo), hi)
