"""Linear ops: Conv, ConvTranspose, Gemm, MatMul, BatchNormalization and Einsum.

Convolution gathers windows into a contiguous matrix and runs one batched float32 matmul
(BLAS), as ONNX Runtime's im2col kernel does; depthwise convolution, where that matmul would
degenerate into many tiny ones, accumulates one kernel tap at a time instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import Dim, TensorType
from intq.ops.base import UNKNOWN, SameTypeOp, known_rank, unknown_shape
from intq.ops.registry import REQUIRED, OpDef, broadcast_shapes, register
from intq.ops.windows import (check_window_attrs, kernel_ones, kernel_zero_pads, kernel_zeros,
                              output_sizes, windows)


def conv(x: np.ndarray, w: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """N-D grouped convolution without bias; ``attrs`` as in the Conv schema."""
    check_window_attrs("Conv", attrs, x.ndim - 2)
    kernel = attrs["kernel_shape"]
    rank = len(kernel)
    groups = attrs["group"]
    n, c = x.shape[:2]
    m = w.shape[0]
    if c % groups or m % groups or w.shape[1] * groups != c:
        raise ValueError(f"Conv weight {w.shape} does not fit {c} input channels in "
                         f"{groups} groups")
    out = output_sizes(x.shape[2:], attrs)
    view = windows(x, kernel, attrs["strides"], attrs["dilations"], attrs["pads"][:rank], out,
                   x.dtype.type(0))
    cg, mg = c // groups, m // groups
    view = view.reshape(n, groups, cg, *out, *kernel)
    if cg == 1:
        return _depthwise(view, w.reshape(groups, mg, -1), out, kernel)
    taps = cg * math.prod(kernel)
    positions = math.prod(out)
    axes = (0, 1, 2, *range(3 + rank, 3 + 2 * rank), *range(3, 3 + rank))
    cols = view.transpose(axes).reshape(n, groups, taps, positions)
    weights = w.reshape(groups, mg, taps)
    y = np.empty((n, groups, mg, positions), np.result_type(cols, weights))
    for g in range(groups):  # a 2-D weight over a stack: NumPy's BLAS path, ~5x a 4-D broadcast
        np.matmul(weights[g], cols[:, g], out=y[:, g])
    return y.reshape(n, m, *out)


def _depthwise(view: np.ndarray, w: np.ndarray, out: Sequence[int], kernel: Sequence[int]
               ) -> np.ndarray:
    """One multiply-add per kernel tap over a block of channels small enough to stay in cache
    while every tap passes over it (whole tensors would stream from memory once per tap)."""
    n, groups = view.shape[:2]
    mg = w.shape[1]
    rank = len(kernel)
    dtype = np.result_type(view, w)
    acc = np.empty((n, groups, mg, *out), dtype=dtype)
    weights = w.reshape(groups, mg, -1).astype(dtype, copy=False)
    plane = mg * math.prod(out)
    block = max(1, _DEPTHWISE_BLOCK // max(plane, 1))
    shape = (1, 1, mg, *([1] * rank))
    for i in range(n):
        for start in range(0, groups, block):
            g = slice(start, start + block)
            target = acc[i, g]
            product = np.empty_like(target)
            for tap, offset in enumerate(np.ndindex(*kernel)):
                inputs = view[(i, g, 0, *([slice(None)] * rank), *offset)][:, None]
                tap_weights = weights[g, :, tap].reshape(-1, *shape[2:])
                if tap == 0:
                    np.multiply(inputs, tap_weights, out=target)
                else:
                    np.multiply(inputs, tap_weights, out=product)
                    target += product
    return acc.reshape(n, groups * mg, *out)


_DEPTHWISE_BLOCK = 1 << 16
"""Output elements per channel block of ``_depthwise`` (256 KiB of float32)."""


def conv_transpose(x: np.ndarray, w: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """N-D grouped transposed convolution without bias: scatter each input pixel's
    ``w``-weighted kernel into the output (col2im), one kernel tap at a time."""
    check_window_attrs("ConvTranspose", attrs, x.ndim - 2)
    kernel = attrs["kernel_shape"]
    groups = attrs["group"]
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    if c % groups or w.shape[0] != c:
        raise ValueError(f"ConvTranspose weight {w.shape} does not fit {c} input channels in "
                         f"{groups} groups")
    cg, mg = c // groups, w.shape[1]
    begins, out = conv_transpose_geometry(spatial, attrs)
    strides, dilations = attrs["strides"], attrs["dilations"]
    taps = mg * math.prod(kernel)
    wg = w.reshape(groups, cg, taps).transpose(0, 2, 1)
    cols = np.matmul(wg, x.reshape(n, groups, cg, -1)).reshape(n, groups, mg, *kernel, *spatial)
    full = [max((s - 1) * st + (k - 1) * d + 1, b + o)
            for s, st, k, d, b, o in zip(spatial, strides, kernel, dilations, begins, out)]
    acc = np.zeros((n, groups, mg, *full), dtype=cols.dtype)
    for offset in np.ndindex(*kernel):
        target = tuple(slice(k * d, k * d + (s - 1) * st + 1, st)
                       for k, d, s, st in zip(offset, dilations, spatial, strides))
        acc[(slice(None),) * 3 + target] += cols[(slice(None),) * 3 + offset]
    crop = tuple(slice(b, b + o) for b, o in zip(begins, out))
    return acc[(slice(None),) * 3 + crop].reshape(n, groups * mg, *out)


def conv_transpose_geometry(spatial: Sequence[Dim], attrs: dict[str, Any]
                            ) -> tuple[list[int], list[Dim]]:
    """Begin pads and output sizes; an ``output_shape`` overrides ``pads`` the way ONNX
    Runtime does (the odd unit of total padding goes to the begin)."""
    rank = len(spatial)
    pads = attrs["pads"]
    begins, out = list(pads[:rank]), []
    for i, size in enumerate(spatial):
        if isinstance(size, str):
            out.append(UNKNOWN)
            continue
        full = (attrs["strides"][i] * (size - 1) + attrs["output_padding"][i]
                + (attrs["kernel_shape"][i] - 1) * attrs["dilations"][i] + 1)
        if attrs["output_shape"]:
            target = attrs["output_shape"][-rank + i]
            total = max(full - target, 0)
            begins[i] = total - total // 2
            out.append(target)
        else:
            out.append(full - pads[i] - pads[rank + i])
    return begins, out


def _with_bias(y: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``y + b`` per channel; ``y`` is the convolution's own fresh output, so the sums are
    written in place (the same float additions, without a second activation-sized array)."""
    if b is None:
        return y
    bias = b.reshape(-1, *([1] * (y.ndim - 2)))
    if y.dtype != np.result_type(y, bias):
        return y + bias
    y += bias
    return y


@register
class Conv(OpDef):
    """N-D convolution. ``kernel_shape`` is required and ``pads`` explicit: the importer
    resolves ``auto_pad`` and fills ``kernel_shape`` from W."""

    op_type = "Conv"
    attrs = {"kernel_shape": REQUIRED, "strides": kernel_ones, "dilations": kernel_ones,
             "pads": kernel_zero_pads, "group": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray,
                 b: np.ndarray | None = None) -> list[np.ndarray]:
        return [_with_bias(conv(x, w, attrs), b)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, w = types[0], types[1]
        if not known_rank(x):
            return [unknown_shape(x.dtype)]
        check_window_attrs("Conv", attrs, len(x.shape) - 2)
        channels = w.shape[0] if known_rank(w) else UNKNOWN
        return [TensorType((x.shape[0], channels, *output_sizes(x.shape[2:], attrs)), x.dtype)]


@register
class ConvTranspose(OpDef):
    """N-D transposed convolution. Like Conv, no ``auto_pad`` and a required ``kernel_shape``;
    ``output_shape`` (spatial sizes, empty when absent) overrides ``pads`` as in ONNX."""

    op_type = "ConvTranspose"
    attrs = {"kernel_shape": REQUIRED, "strides": kernel_ones, "dilations": kernel_ones,
             "pads": kernel_zero_pads, "output_padding": kernel_zeros, "output_shape": [],
             "group": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, w: np.ndarray,
                 b: np.ndarray | None = None) -> list[np.ndarray]:
        return [_with_bias(conv_transpose(x, w, attrs), b)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, w = types[0], types[1]
        if not known_rank(x):
            return [unknown_shape(x.dtype)]
        check_window_attrs("ConvTranspose", attrs, len(x.shape) - 2)
        channels: Dim = UNKNOWN
        if known_rank(w) and isinstance(w.shape[1], int):
            channels = w.shape[1] * attrs["group"]
        _, out = conv_transpose_geometry(x.shape[2:], attrs)
        return [TensorType((x.shape[0], channels, *out), x.dtype)]


@register
class Gemm(OpDef):
    """Y = alpha * A' @ B' + beta * C with optional transposes and optional C."""

    op_type = "Gemm"
    attrs = {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0}

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray,
                 c: np.ndarray | None = None) -> list[np.ndarray]:
        a = a.T if attrs["transA"] else a
        b = b.T if attrs["transB"] else b
        y = np.matmul(a, b)
        if attrs["alpha"] != 1.0:
            y = y * y.dtype.type(attrs["alpha"])
        if c is not None:
            y = y + (c if attrs["beta"] == 1.0 else c * c.dtype.type(attrs["beta"]))
        return [y]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        a, b = types[0], types[1]
        rows = a.shape[1 if attrs["transA"] else 0] if known_rank(a) else UNKNOWN
        cols = b.shape[0 if attrs["transB"] else 1] if known_rank(b) else UNKNOWN
        return [TensorType((rows, cols), a.dtype)]


@register
class MatMul(OpDef):
    """NumPy ``matmul`` semantics: batched, broadcast, 1-D operands promoted and squeezed."""

    op_type = "MatMul"

    def evaluate(self, attrs: dict[str, Any], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        return [np.matmul(a, b)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        a, b = types[0], types[1]
        if not (known_rank(a) and known_rank(b)):
            return [unknown_shape(a.dtype)]
        sa = (1, *a.shape) if len(a.shape) == 1 else a.shape
        sb = (*b.shape, 1) if len(b.shape) == 1 else b.shape
        batch = broadcast_shapes(sa[:-2], sb[:-2])
        shape = [*batch, sa[-2], sb[-1]]
        if len(b.shape) == 1:
            shape.pop()
        if len(a.shape) == 1:
            shape.pop(-2 if len(b.shape) > 1 else -1)
        return [TensorType(tuple(shape), a.dtype)]


@register
class BatchNormalization(SameTypeOp):
    """Inference-mode batch norm over axis 1 with running statistics; training mode is
    rejected (intq quantizes inference graphs)."""

    op_type = "BatchNormalization"
    attrs = {"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, scale: np.ndarray, bias: np.ndarray,
                 mean: np.ndarray, var: np.ndarray) -> list[np.ndarray]:
        if attrs["training_mode"]:
            raise UnsupportedOpError("BatchNormalization with training_mode=1 is not supported; "
                                     "export the model in eval mode")
        shape = (-1, *([1] * (x.ndim - 2)))
        inv_std = (1 / np.sqrt(var + var.dtype.type(attrs["epsilon"]))).astype(x.dtype)
        gain = (scale * inv_std).reshape(shape)
        return [(x - mean.reshape(shape)) * gain + bias.reshape(shape)]


@register
class Einsum(OpDef):
    op_type = "Einsum"
    attrs = {"equation": REQUIRED}

    def evaluate(self, attrs: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(np.einsum(attrs["equation"].replace(" ", ""), *xs))]
