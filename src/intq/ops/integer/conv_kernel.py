"""Prepared IntConv kernels: weights cast and bounded once, windows gathered chunk by chunk.

``IntConv.prepare_fast`` builds a ``ConvKernel`` for a node whose weight (and bias) are
constants. Per call it only checks the input and picks the exact arithmetic from a bound:
first from the input's dtype (``max|x| <= 255`` for uint8, with no pass over the data), then,
if that is not enough, from the data as ``evaluate_fast`` does. The batch is processed a few
samples at a time so the gathered windows (a ``taps x positions`` matrix, plus a row of ones
meeting the bias) stay in cache between the gather and the BLAS matmul. A 2-D convolution
with a taller-than-one kernel skips the window gather: it multiplies ``kw`` column-shifted
copies of the input by the weights stacked by kernel row and sums the ``kh`` resulting blocks
shifted by rows (``ConvKernel._shift_chunk``, ``Taps``), which copies a third of the data
and runs BLAS on taller matrices.

``IntConv.prepare_fused`` does the same with the following ``Requantize`` applied to each
chunk while it is in cache (``ConvKernel.fused``): the float accumulator is rescaled directly
as ``requantize.Rescale.plan`` decides from ``bound_c = max|x| * sum|w_c| + |b_c|`` per
output channel: in float64 when every ``bound_c * m_c + 2^(k_c - 1) <= 2^52`` (exact, see
``exact_float``), else, when ``bound_c * m_c <= 2^62``, in float64 after clamping the
accumulator to the few values that can reach the output range (``Rescale.limits``) or in
int64. When no plan applies it runs the two ops one after the other, so results and errors
are those of the unfused ops. Temporaries (gathered windows, accumulators, the float64
rescale) come from the calling thread's scratch arena (``scratch``), not fresh allocations.

Convolutions with one input channel per group (depthwise, or a single-channel stem) accumulate
one kernel tap at a time in float32 (exact under the same 2^24 bound), else in int32 (float64
for a single group) as ``evaluate_fast`` does: with numba, in a compiled loop over each
sample's padded plane (``_direct_chunk``, 2-D), else, for depthwise ones, in NumPy on a
float32 copy of the padded chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from intq.ops.integer import jit
from intq.ops.integer.base import acc_dtype, max_abs, to_accumulator
from intq.ops.integer.exact_float import FLOAT32_EXACT, FLOAT64_EXACT
from intq.ops.integer.requantize import Rescale, RescalePlan
from intq.ops.integer.scratch import scratch
from intq.ops.windows import check_window_attrs, output_sizes

INT32_MAX = (1 << 31) - 1
CHUNK_BYTES = 4 << 20
"""Target size of one chunk's gathered windows (4 MiB): large enough for BLAS to run at
full speed (measured on the benchmark CNNs: 4-8 MiB beat 1.5 MiB by ~10%), small enough to
stay in the last-level cache until the matmul reads it."""

SHIFT_WASTE = 1.35
"""The largest ratio of computed to needed output rows (``Hp / out_h``) at which a 2-D
convolution runs as shifted blocks (``ConvKernel._shift_chunk``) rather than through gathered
windows."""

SHIFT_MIN_DEPTH = 16
"""The fewest ``kernel width x input channels`` for shifted blocks (a 1-channel stem runs
3x slower as a 4-deep matmul than through 10-deep gathered windows)."""


class Taps(NamedTuple):
    """One chunk's convolution result: ``y`` ``(blocks * channels, count, L)`` (each sample's
    plane flattened) whose blocks are summed at their element offsets: ``acc[c, i, r, w] =
    sum_t y[t * channels + c, i, r * row + offsets[t] + w]`` for the ``rows`` output rows
    (the output's leading spatial axes, flattened) and ``w < row`` (the first ``out[-1]``
    columns are the result, the rest are wider-grid columns to drop). A plain accumulator
    is one block at offset 0."""

    y: np.ndarray
    channels: int
    offsets: np.ndarray
    rows: int
    row: int

    @classmethod
    def plain(cls, acc: np.ndarray) -> Taps:
        """A ``(channels, count, *spatial)`` accumulator as one block."""
        channels, count = acc.shape[:2]
        row = acc.shape[-1] if acc.ndim > 2 else 1
        rows = math.prod(acc.shape[2:-1])
        return cls(acc.reshape(channels, count, rows * row), channels, _NO_OFFSET, rows, row)

    def dense(self) -> np.ndarray:
        """The summed accumulator ``(channels, count, rows, row)`` (a view of ``y`` when there
        is one block), in ``y``'s dtype: exact, every partial sum of a channel's products is
        within its bound."""
        c, span = self.channels, self.rows * self.row
        shape = (c, self.y.shape[1], self.rows, self.row)
        if len(self.offsets) == 1 and self.offsets[0] == 0 and self.y.shape[2] == span:
            return self.y.reshape(shape)
        acc = scratch("conv.sum", math.prod(shape), self.y.dtype).reshape(shape)
        for t, offset in enumerate(self.offsets):
            block = self.y[t * c:(t + 1) * c, :, offset:offset + span].reshape(shape)
            if t == 0:
                np.copyto(acc, block)
            else:
                acc += block
        return acc


_NO_OFFSET = np.zeros(1, dtype=np.int64)


class ShiftLayout(NamedTuple):
    """How ``ConvKernel._shift_chunk`` lays out inputs of one spatial shape: the planes' rows
    ``height``; per row phase ``(phase, r0, r1)``, the plane rows that read the input; per
    kernel column ``(w0, w1)``, the output columns that read the input; the blocks' element
    offsets (``Taps.offsets``)."""

    height: int
    phases: list[tuple[int, int, int]]
    columns: list[tuple[int, int]]
    offsets: np.ndarray


def _inside(first: int, step: int, size: int, count: int) -> tuple[int, int]:
    """``(lo, hi)``: the indices ``k < count`` with ``0 <= first + step * k < size`` (a
    range, empty as ``(lo, lo)``)."""
    lo = min(max(-(first // step), 0), count)
    hi = min(max(-((first - size) // step), 0), count)
    return lo, max(lo, hi)


def _split_phases(xc: np.ndarray, pads: list[int], strides: list[int],
                  planes: np.ndarray) -> None:
    """Fill ``planes`` ``(count, C, *strides, *sizes)`` with the chunk zero padded by
    ``pads`` (at the start of each axis) and split into its strides' phases:
    ``planes[i, c, *a, *k] = xpad[i, c, *(a + s * k)]``, zero outside ``xc``; one strided
    copy per phase."""
    planes.fill(0)
    sizes = planes.shape[2 + len(strides):]
    for phase in np.ndindex(*strides):
        spans = [_inside(a - p, s, n, q)
                 for a, p, s, n, q in zip(phase, pads, strides, xc.shape[2:], sizes)]
        if any(hi == lo for lo, hi in spans):
            continue
        planes[(slice(None), slice(None), *phase, *(slice(lo, hi) for lo, hi in spans))] = \
            xc[(slice(None), slice(None),
                *(slice(a - p + s * lo, a - p + s * (hi - 1) + 1, s)
                  for (lo, hi), a, p, s in zip(spans, phase, pads, strides)))]


Sink = Callable[[int, int, Taps], None]


def dtype_max_abs(dtype: np.dtype) -> int:
    """The largest ``|x|`` an integer dtype holds."""
    info = np.iinfo(dtype)
    return max(-int(info.min), int(info.max))


class ConvKernel:
    """IntConv with constant ``w`` (and ``b``) for one node; see the module docstring.

    Raises ``ValueError`` (so nothing is prepared and the op's own path reports it) for
    attributes or constants the reference would reject.
    """

    def __init__(self, attrs: dict[str, Any], w: np.ndarray, b: np.ndarray | None,
                 fallback: Callable[..., list[np.ndarray]]) -> None:
        kernel = [int(k) for k in attrs["kernel_shape"]]
        rank = len(kernel)
        check_window_attrs("IntConv", attrs, rank)
        groups = int(attrs["group"])
        if (w.dtype.kind not in "iu" or w.ndim != rank + 2 or list(w.shape[2:]) != kernel
                or groups < 1 or w.shape[0] % groups or min(kernel, default=1) < 1
                or min(attrs["strides"]) < 1 or min(attrs["dilations"]) < 1
                or min(attrs["pads"], default=0) < 0):
            raise ValueError("unsupported IntConv geometry")
        channels = w.shape[0]
        if b is not None and (b.dtype.kind not in "iu" or b.shape != (channels,)):
            raise ValueError("unsupported IntConv bias")
        self.acc_dtype = acc_dtype(attrs)
        self.attrs = attrs
        self.fallback = fallback
        self.kernel, self.rank, self.groups = kernel, rank, groups
        self.strides, self.dilations = list(attrs["strides"]), list(attrs["dilations"])
        self.pads = list(attrs["pads"][:rank])
        self.channels, self.cg, self.mg = channels, w.shape[1], channels // groups
        self.taps = self.cg * math.prod(kernel)
        self.depthwise = self.cg == 1 and groups > 1
        flat = w.reshape(channels, -1)
        wide = flat.astype(np.int64) if w.dtype.itemsize <= 4 else flat.astype(object)
        self.row_abs = [int(v) for v in np.abs(wide).sum(axis=1)] if w.size else [0] * channels
        self.bias_abs = [abs(int(v)) for v in b] if b is not None else [0] * channels
        self.row_max = max(self.row_abs, default=0)
        self.bias_max = max(self.bias_abs, default=0)
        self.w, self.b = w, b
        self._weights: dict[Any, Any] = {}
        self._grids: dict[tuple[int, ...], Any] = {}
        self._shifts: dict[tuple[int, ...], ShiftLayout | None] = {}
        # 2-D convolutions with taller-than-one kernels may run as shifted blocks
        # (and rows of at least SHIFT_MIN_DEPTH taps: BLAS is slow on shallower ones)
        self.shiftable = (rank == 2 and groups == 1 and kernel[0] > 1
                          and kernel[1] * self.cg >= SHIFT_MIN_DEPTH)
        # 1x1 convolutions without padding multiply each sample's channels directly
        self.pointwise = groups == 1 and self.taps == self.cg and not any(attrs["pads"])

    # ---- bounds ------------------------------------------------------------------------------
    def accepts(self, x: Any) -> bool:
        """Inputs this kernel computes itself; others (including empty ones) go to the op's
        own ``evaluate_fast``."""
        return (isinstance(x, np.ndarray) and x.dtype.kind in "iu" and x.size > 0
                and x.ndim == self.rank + 2 and x.shape[1] == self.groups * self.cg)

    def total(self, x_max: int) -> int:
        """``max|x| * max_c sum|w_c| + max|b|``, the bound ``evaluate_fast`` uses."""
        return x_max * self.row_max + self.bias_max

    def channel_bounds(self, x_max: int) -> list[int]:
        return [x_max * r + bb for r, bb in zip(self.row_abs, self.bias_abs)]

    def arithmetic(self, total: int) -> np.dtype | None:
        """The exact dtype for partial sums up to ``total``: float32, float64 (not for
        depthwise, which uses int32 instead), or ``None``."""
        if total <= FLOAT32_EXACT:
            return np.dtype(np.float32)
        if self.depthwise:
            return np.dtype(np.int32) if total <= INT32_MAX else None
        return np.dtype(np.float64) if total <= FLOAT64_EXACT else None

    # ---- entry points ------------------------------------------------------------------------
    def __call__(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        """The node's accumulator, as ``IntConv.evaluate_fast`` returns it."""
        if not self.accepts(x):
            return self.fallback(x, w, b)
        total = self.total(dtype_max_abs(x.dtype))
        dtype = self.arithmetic(total)
        if dtype is None:
            total = self.total(max_abs(x))
            dtype = self.arithmetic(total)
            if dtype is None:
                return self.fallback(x, w, b)
        narrow = self.acc_dtype == np.int32 and total <= INT32_MAX
        n, out = x.shape[0], output_sizes(x.shape[2:], self.attrs)
        y = np.empty((n, self.channels, *out), dtype=np.int32 if narrow else np.int64)

        def sink(start: int, count: int, taps: Taps) -> None:
            acc = taps.dense().reshape(self.channels, count, *out[:-1], taps.row)
            np.copyto(y[start:start + count].swapaxes(0, 1), acc[..., :out[-1]],
                      casting="unsafe")

        self.accumulate(x, out, dtype, sink)
        return [to_accumulator(y, self.attrs, total)]

    def fused(self, rescale: Rescale, then: Callable[[np.ndarray], list[np.ndarray]]
              ) -> Callable[..., list[np.ndarray]]:
        """A kernel for this convolution followed by ``rescale`` (a Requantize whose per
        channel axis, if any, is the output channel axis); ``then`` runs that Requantize on
        an accumulator, for inputs the fused path does not take. The data's ``max|x|`` is
        scanned only when the dtype's bound does not allow the float64 rescale."""
        plans: dict[int, Any] = {}

        def kernel(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None
                   ) -> list[np.ndarray]:
            if self.accepts(x):
                plan = self._fused_plan(rescale, dtype_max_abs(x.dtype), plans)
                if plan is None or not plan[1].in_float:
                    plan = self._fused_plan(rescale, max_abs(x), plans) or plan
                if plan is not None:
                    return [self._run_fused(x, rescale, *plan)]
            return then(self(x, w, b)[0])

        return kernel

    def _fused_plan(self, rescale: Rescale, x_max: int,
                    plans: dict[int, Any]
                    ) -> tuple[np.dtype, RescalePlan] | None:
        """``(arithmetic dtype, rescale plan)`` for inputs with ``|x| <= x_max``, or
        ``None`` when the fused path does not apply (memoised in ``plans``)."""
        plan = plans.get(x_max, False)
        if plan is False:
            plan = self._plan_for(rescale, x_max)
            if len(plans) > 256:
                plans.clear()
            plans[x_max] = plan
        return plan

    def _plan_for(self, rescale: Rescale, x_max: int) -> tuple[np.dtype, RescalePlan] | None:
        total = self.total(x_max)
        dtype = self.arithmetic(total)
        if dtype is None or (self.acc_dtype == np.int32 and total > INT32_MAX):
            return None
        how = rescale.plan(self.channel_bounds(x_max), dtype)
        return None if how is None else (dtype, how)

    def _run_fused(self, x: np.ndarray, rescale: Rescale, dtype: np.dtype, how: RescalePlan
                   ) -> np.ndarray:
        n, out = x.shape[0], output_sizes(x.shape[2:], self.attrs)
        y = np.empty((n, self.channels, *out), dtype=rescale.dtype)
        ndim = self.rank + 2

        compiled = rescale.compiled(how, self.channels)
        width = out[-1]

        def sink(start: int, count: int, taps: Taps) -> None:
            if compiled is not None:
                jit.rescale_taps(taps.y, self.channels, taps.offsets, taps.rows, taps.row,
                                 width, *compiled,
                                 y[start:start + count].reshape(count, self.channels, -1))
                return
            acc = taps.dense().reshape(self.channels, count, *out[:-1], taps.row)[..., :width]
            target = y[start:start + count].swapaxes(0, 1)
            work = (scratch("conv.work", acc.size, np.float64).reshape(acc.shape)
                    if how.in_float else None)
            rescale.apply(acc, how, target, ndim, 0, work)

        self.accumulate(x, out, dtype, sink)
        return y

    # ---- the computation ---------------------------------------------------------------------
    def accumulate(self, x: np.ndarray, out: list[int], dtype: np.dtype, sink: Sink) -> None:
        """Compute the convolution (bias included) in ``dtype``, a chunk of samples at a time,
        handing each chunk's result to ``sink(start, count, taps)`` (``Taps``: its first
        ``out[-1]`` columns are the result, wider on a polyphase grid, see ``_grid``, or as
        shifted blocks, see ``_shift_chunk``)."""
        n = x.shape[0]
        pos = math.prod(out)
        shift = self._shift(x.shape[2:], out) if self.shiftable else None
        if self.rank == 2 and self.cg == 1 and jit.enabled():
            # one input channel per group (depthwise, or a single-channel stem): the
            # compiled direct loop, BLAS would multiply matrices only kernel_size deep
            per_sample = self.channels * max(pos, 1) * dtype.itemsize * 2
            run = self._direct_chunk
        elif self.depthwise:
            per_sample = x.shape[1] * max(pos, 1) * 8 * 2
            run = self._depthwise_chunk
        elif self.pointwise:
            per_sample = (self.cg + 1 + self.channels) * max(pos, 1) * dtype.itemsize
            run = self._pointwise_chunk
        elif shift is not None:
            per_sample = len(shift.phases) * (self.kernel[1] * self.cg + 1) * shift.height \
                * out[1] * dtype.itemsize
            run = self._shift_chunk
        else:
            per_sample = self.groups * (self.taps + 1) * max(pos, 1) * dtype.itemsize
            run = self._gemm_chunk
        step = max(1, min(n, CHUNK_BYTES // per_sample))
        for start in range(0, n, step):
            count = min(step, n - start)
            sink(start, count, run(x[start:start + count], out, dtype))

    def _gemm_chunk(self, xc: np.ndarray, out: list[int], dtype: np.dtype
                    ) -> Taps:
        count, groups, taps = xc.shape[0], self.groups, self.taps
        rank = self.rank
        grid = self._grid(xc.shape[2:], out)
        cols_out = [*out[:-1], grid[0][-1]] if grid is not None else out
        columns = count * math.prod(cols_out)
        weights = self._weight_matrix(dtype)
        rows = weights.shape[2]
        cols = scratch("conv.cols", groups * rows * columns, dtype).reshape(
            groups, rows, columns)
        if rows > taps:
            cols[:, taps] = 1
        gathered = cols[:, :taps].reshape(groups, self.cg, *self.kernel, count, *cols_out)
        if grid is not None:
            self._gather_phases(xc, grid, gathered)
        else:
            view = self._windows(xc, out).reshape(count, groups, self.cg, *out, *self.kernel)
            gathered[...] = view.transpose(1, 2, *range(3 + rank, 3 + 2 * rank), 0,
                                           *range(3, 3 + rank))
        acc = scratch("conv.acc", self.channels * columns, dtype).reshape(
            groups, self.mg, columns)
        np.matmul(weights, cols, out=acc)
        return Taps.plain(acc.reshape(self.channels, count, *cols_out))

    def _pointwise_chunk(self, xc: np.ndarray, out: list[int], dtype: np.dtype) -> Taps:
        """A 1x1 convolution as one batched matmul, ``(channels, cin [+ 1]) @ (count, cin
        [+ ones], positions)``: no transposing gather, and the result is already each
        sample's output planes (``Taps`` takes it as a channel-major view)."""
        count, cin = xc.shape[:2]
        src = xc[(slice(None), slice(None), *(slice(None, None, s) for s in self.strides))]
        pos = math.prod(out)  # the strided input is exactly the output's positions
        weights = self._weight_matrix(dtype)[0]
        depth = weights.shape[1]
        xf = scratch("conv.cols", count * depth * pos, dtype).reshape(count, depth, pos)
        xf[:, :cin].reshape(count, cin, *out)[...] = src
        if depth > cin:
            xf[:, cin] = 1
        y = scratch("conv.acc", count * self.channels * pos, dtype).reshape(
            count, self.channels, pos)
        np.matmul(weights, xf, out=y)
        row = out[-1] if out else 1
        return Taps(y.transpose(1, 0, 2), self.channels, _NO_OFFSET, pos // max(row, 1), row)

    def _shift(self, spatial: tuple[int, ...], out: list[int]) -> ShiftLayout | None:
        """The layout of ``_shift_chunk`` for inputs of this spatial shape, or ``None`` when
        its planes waste too many rows (``SHIFT_WASTE``); computed once per shape."""
        key = tuple(spatial)
        if key not in self._shifts:
            blocks = self._row_blocks()
            height, width = out[0] + max(shift for _, shift in blocks), out[1]
            layout = None
            if width > 0 and height <= SHIFT_WASTE * max(out[0], 1):
                (sh, sw), (top, left) = self.strides, self.pads
                phases = [(phase, *_inside(phase - top, sh, spatial[0], height))
                          for phase in sorted({phase for phase, _ in blocks})]
                columns = [_inside(j * self.dilations[1] - left, sw, spatial[1], width)
                           for j in range(self.kernel[1])]
                offsets = np.array([blocks[t][1] * width for t in self._block_order()],
                                   dtype=np.int64)
                layout = ShiftLayout(height, phases, columns, offsets)
            self._shifts[key] = layout
        return self._shifts[key]

    def _row_blocks(self) -> list[tuple[int, int]]:
        """``(phase, shift)`` of each kernel row ``t``: it reads input rows ``stride * (r +
        shift) + phase`` (padded coordinates) for output row ``r``."""
        sh, dh = self.strides[0], self.dilations[0]
        return [((t * dh) % sh, (t * dh) // sh) for t in range(self.kernel[0])]

    def _block_order(self) -> list[int]:
        """Kernel rows grouped by row phase (the order of the blocks in ``_shift_chunk``)."""
        blocks = self._row_blocks()
        return sorted(range(len(blocks)), key=lambda t: (blocks[t][0], t))

    def _shift_chunk(self, xc: np.ndarray, out: list[int], dtype: np.dtype) -> Taps:
        """A 2-D convolution without gathering windows. Kernel row ``t`` reads, for output
        row ``r``, padded input row ``sh * (r + shift_t) + phase_t`` (``_row_blocks``). For
        each row phase and kernel column ``j`` the chunk is laid out once as planes of ``Hp x
        out_w``: ``Z[phase][(j, ci), i, p, w] = xpad[i, ci, sh * p + phase, sw * w + j * dw]``
        (zero where that is padding). One matmul per phase with the weights of its kernel
        rows stacked, ``W'[(t, c), (j, ci)] = w[c, ci, t, j]``, gives one block per kernel
        row at every position, and the output is the sum of the blocks shifted down
        ``shift_t`` rows (``Taps``). The gathered data is ``kw`` copies of the input (over
        its row phases) instead of ``kh * kw``, the matmul has ``kh`` times more rows, which
        BLAS runs faster, and a sample's output rows are contiguous in every block; the
        planes' extra ``Hp - out_h`` rows are the only wasted work."""
        count, cin = xc.shape[:2]
        kw, dw = self.kernel[1], self.dilations[1]
        (sh, sw), (top, left) = self.strides, self.pads
        layout = self._shift(xc.shape[2:], out)
        height, width = layout.height, out[1]
        size = count * height * width
        weights = self._shift_weights(dtype)
        depth = weights[0].shape[1]
        z = scratch("conv.cols", len(layout.phases) * depth * size, dtype).reshape(
            len(layout.phases), depth, size)
        y = scratch("conv.acc", self.kernel[0] * self.channels * size, dtype).reshape(
            -1, size)
        source = xc.swapaxes(0, 1)
        first = 0
        for p, (phase, r0, r1) in enumerate(layout.phases):
            for j, (w0, w1) in enumerate(layout.columns):
                plane = z[p, j * cin:(j + 1) * cin].reshape(cin, count, height, width)
                # zero what reads padding (only the non-empty parts: fewer NumPy calls)
                if r0:
                    plane[:, :, :r0] = 0
                if r1 < height:
                    plane[:, :, r1:] = 0
                if w0:
                    plane[:, :, r0:r1, :w0] = 0
                if w1 < width:
                    plane[:, :, r0:r1, w1:] = 0
                if r1 == r0 or w1 == w0:
                    continue
                row, col = phase - top + sh * r0, j * dw - left + sw * w0
                plane[:, :, r0:r1, w0:w1] = source[
                    :, :, row:row + sh * (r1 - r0 - 1) + 1:sh,
                    col:col + sw * (w1 - w0 - 1) + 1:sw]
            if depth > kw * cin:
                z[p, kw * cin] = 1
            rows = weights[p].shape[0]
            np.matmul(weights[p], z[p], out=y[first:first + rows])
            first += rows
        return Taps(y.reshape(-1, count, height * width), self.channels, layout.offsets,
                    out[0], width)

    def _shift_weights(self, dtype: np.dtype) -> list[np.ndarray]:
        """``W'`` of ``_shift_chunk`` in ``dtype``, one matrix per row phase ``(its kernel
        rows * channels, kw * cg [+ 1 bias column, non-zero in kernel row 0's block
        only])``, cached."""
        key = ("shift", dtype)
        weights = self._weights.get(key)
        if weights is None:
            kw = self.kernel[1]
            blocks = self._row_blocks()
            order = self._block_order()
            stacked = self.w.transpose(2, 0, 3, 1).reshape(
                self.kernel[0], self.channels, kw * self.cg).astype(dtype)
            if self.b is not None:
                bias = np.zeros((*stacked.shape[:2], 1), dtype=dtype)
                bias[0, :, 0] = self.b.astype(dtype)
                stacked = np.concatenate([stacked, bias], axis=2)
            weights = [np.ascontiguousarray(np.concatenate(
                [stacked[t] for t in order if blocks[t][0] == phase]))
                for phase in sorted({phase for phase, _ in blocks})]
            self._weights[key] = weights
        return weights

    def _grid(self, spatial: tuple[int, ...], out: list[int]
              ) -> tuple[list[int], list[list[tuple[int, int, int, int]]]] | None:
        """The polyphase layout of an input of this spatial shape, or ``None`` when the plain
        gather is cheaper. Each spatial axis of the zero-padded input is split into its
        ``stride`` phases of ``Q`` elements, so that every kernel tap reads a stride-1 block
        of one phase; outputs are computed on a grid as wide as a phase row (``Q`` of the
        last axis, the extra columns are dropped) so one tap of one channel is a single
        contiguous run of ``out[-2] * Q`` elements instead of ``out[-2]`` runs of ``out[-1]``.
        Returns ``Q`` per axis and, per axis, the tap groups ``(first tap, count, phase,
        first shift)`` whose taps step by ``stride / gcd`` and shifts by ``dilation / gcd``."""
        key = tuple(spatial)
        cached = self._grids.get(key, False)
        if cached is not False:
            return cached
        sizes: list[int] = []
        axes: list[list[tuple[int, int, int, int]]] = []
        for size, k, s, d, begin, o in zip(spatial, self.kernel, self.strides, self.dilations,
                                           self.pads, out):
            g = math.gcd(d, s)
            step = s // g
            groups = [(t0, len(range(t0, k, step)), (t0 * d) % s, (t0 * d) // s)
                      for t0 in range(min(step, k))]
            reach = max(shift + (n - 1) * (d // g) for _, n, _, shift in groups)
            sizes.append(max(-(-(begin + size) // s), o + reach))
            axes.append(groups)
        wide = sizes[-1] <= out[-1] * 1.2 or sizes[-1] <= out[-1] + 1
        if math.prod(self.strides) > 1:
            # a strided input is first split into its phases (one more full copy): worth it
            # only when the wider grid wastes little (measured: 8 columns for 7 lost)
            wide = sizes[-1] <= out[-1] * 1.1
        # a 1x1 kernel reads each input element at most once: gathering the strided view
        # directly copies only what it reads, the phase split would copy the whole input
        pointwise = self.taps == self.cg and not any(self.pads)
        grid = (sizes, axes) if wide and self.rank <= 2 and not pointwise else None
        self._grids[key] = grid
        return grid

    def _gather_phases(self, xc: np.ndarray, grid: tuple[list[int], list[list[tuple]]],
                       gathered: np.ndarray) -> None:
        """Fill ``gathered`` ``(groups, cg, *kernel, count, *out[:-1], Q_last)`` from the
        polyphase copy of the zero-padded chunk (see ``_grid``)."""
        sizes, axes = grid
        rank = self.rank
        count, channels = xc.shape[:2]
        strides = self.strides
        plane = math.prod(sizes)
        phases = math.prod(strides)
        slack = sizes[-1] + max(k * d for k, d in zip(self.kernel, self.dilations))
        total = count * channels * phases * plane + slack
        flat = scratch("conv.phases", total, xc.dtype)
        flat[-slack:] = 0
        _split_phases(xc, self.pads, strides,
                      flat[:-slack].reshape(count, channels, *strides, *sizes))
        item = flat.itemsize
        # element strides of the phase array: count, channel, phase per axis, row per axis
        row = [math.prod(sizes[a + 1:]) for a in range(rank)]
        phase_stride = [math.prod(strides[a + 1:]) * plane for a in range(rank)]
        step_d = [d // math.gcd(d, s) for d, s in zip(self.dilations, strides)]
        step_t = [s // math.gcd(d, s) for d, s in zip(self.dilations, strides)]
        cols_out = gathered.shape[3 + rank:]
        channel = phases * plane
        for combo in np.ndindex(*(len(a) for a in axes)):
            parts = [axes[a][i] for a, i in enumerate(combo)]
            offset = sum(phase * phase_stride[a] + shift * row[a]
                         for a, (_, _, phase, shift) in enumerate(parts))
            shape = (self.groups, self.cg, *(n for _, n, _, _ in parts), count, *cols_out)
            src_strides = (self.cg * channel, channel, *(sd * r for sd, r in zip(step_d, row)),
                           channels * channel, *row)
            src = np.lib.stride_tricks.as_strided(flat[offset:], shape,
                                                  tuple(v * item for v in src_strides),
                                                  writeable=False)
            dst = gathered[(slice(None), slice(None),
                            *(slice(t0, None, st) for (t0, _, _, _), st in zip(parts, step_t)))]
            dst[...] = src

    def _depthwise_chunk(self, xc: np.ndarray, out: list[int], dtype: np.dtype
                         ) -> Taps:
        count, rank, groups, mg = xc.shape[0], self.rank, self.groups, self.mg
        size = groups * count * math.prod(out)
        view = self._windows(xc, out, dtype)  # (count, groups, *out, *kernel)
        weights = self._weight_matrix(dtype)  # (groups, mg, taps + bias)
        acc = scratch("conv.acc", mg * size, dtype).reshape(mg, count, groups, *out)
        tmp = scratch("conv.tmp", size, dtype).reshape(count, groups, *out)
        wshape = (groups, *([1] * rank))
        for j in range(mg):
            target = acc[j]
            for tap, offset in enumerate(np.ndindex(*self.kernel)):
                inputs = view[(Ellipsis, *offset)]
                w_tap = weights[:, j, tap].reshape(wshape)
                if tap == 0:
                    np.multiply(inputs, w_tap, out=target)
                else:
                    np.multiply(inputs, w_tap, out=tmp)
                    target += tmp
            if self.b is not None:
                target += weights[:, j, self.taps].reshape(wshape)
        # channel c = g * mg + j
        return Taps.plain(acc.transpose(2, 0, 1, *range(3, 3 + rank)).reshape(
            self.channels, count, *out))

    def _direct_chunk(self, xc: np.ndarray, out: list[int], dtype: np.dtype) -> Taps:
        """One input channel per group in 2-D, with ``jit.depthwise``. The chunk is zero
        padded and split into the strides' phases (``sh x sw`` planes of ``hq x row``, in
        the input's dtype; one plane for stride 1, ``_split_phases``), so that tap ``(th,
        tw)`` of the output at ``(r, k)`` is element ``r * row + k`` of one phase shifted by
        ``(th * dh // sh) * row + tw * dw // sw``: every tap is a fixed offset on a grid
        ``row`` wide, whose columns past the output width read the next row or the slack
        and are dropped."""
        count, channels = xc.shape[:2]
        (kh, kw), (dh, dw), (sh, sw) = self.kernel, self.dilations, self.strides
        row = out[1] + (kw - 1) * dw // sw
        hq = out[0] + (kh - 1) * dh // sh
        phase = hq * row
        size = sh * sw * phase + (kw - 1) * dw // sw + row
        xp = scratch("conv.padded", count * channels * size, xc.dtype).reshape(
            count, channels, size)
        xp[:, :, sh * sw * phase:] = 0
        _split_phases(xc, self.pads, self.strides,
                      xp[:, :, :sh * sw * phase].reshape(count, channels, sh, sw, hq, row))
        offsets = np.array([((th * dh % sh) * sw + tw * dw % sw) * phase
                            + (th * dh // sh) * row + tw * dw // sw
                            for th in range(kh) for tw in range(kw)], dtype=np.int64)
        acc = scratch("conv.acc", self.channels * count * out[0] * row, dtype).reshape(
            self.channels, count, out[0], row)
        key = ("depthwise", dtype)
        weights = self._weights.get(key)
        if weights is None:
            bias = self.b if self.b is not None else np.zeros(self.channels, dtype=np.int64)
            weights = (np.ascontiguousarray(self.w.reshape(self.channels, kh * kw), dtype=dtype),
                       np.ascontiguousarray(bias, dtype=dtype))
            self._weights[key] = weights
        jit.depthwise(xp, *weights, offsets, acc)
        return Taps.plain(acc)

    def _weight_matrix(self, dtype: np.dtype) -> np.ndarray:
        """``(groups, mg, taps [+ 1 bias column])`` in ``dtype``, cached."""
        weights = self._weights.get(dtype)
        if weights is None:
            weights = self.w.reshape(self.groups, self.mg, self.taps).astype(dtype)
            if self.b is not None:
                bias = self.b.astype(dtype).reshape(self.groups, self.mg, 1)
                weights = np.concatenate([weights, bias], axis=2)
            weights = np.ascontiguousarray(weights)
            self._weights[dtype] = weights
        return weights

    def _windows(self, xc: np.ndarray, out: list[int], dtype: np.dtype | None = None
                 ) -> np.ndarray:
        """Read-only view ``(count, C, *out, *kernel)`` of the chunk, zero padded (into a copy
        of ``dtype`` when given, else of the input's dtype) only where a window needs it."""
        spatial = xc.shape[2:]
        widths = []
        for size, k, s, d, begin, o in zip(spatial, self.kernel, self.strides, self.dilations,
                                           self.pads, out):
            needed = (o - 1) * s + d * (k - 1) + 1
            widths.append((begin, max(needed - size - begin, 0)))
        if any(w != (0, 0) for w in widths) or (dtype is not None and dtype != xc.dtype):
            padded = np.zeros((*xc.shape[:2], *(size + lo + hi for size, (lo, hi)
                                                in zip(spatial, widths))),
                              dtype=xc.dtype if dtype is None else dtype)
            padded[(slice(None), slice(None), *(slice(lo, lo + size) for size, (lo, _)
                                                in zip(spatial, widths)))] = xc
            xc = padded
        step = xc.strides[2:]
        shape = (*xc.shape[:2], *out, *self.kernel)
        strides = (*xc.strides[:2], *(st * s for st, s in zip(step, self.strides)),
                   *(st * d for st, d in zip(step, self.dilations)))
        return np.lib.stride_tricks.as_strided(xc, shape, strides, writeable=False)

