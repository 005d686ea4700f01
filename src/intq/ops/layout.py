"""Layout ops that move data without arithmetic: Reshape, Flatten, Transpose, Squeeze,
Unsqueeze, Expand, Tile, Concat, Split, Slice, Pad, DepthToSpace, SpaceToDepth.

Sizes, axes, pads and steps are inputs (latest-opset form). Shape rules keep symbolic
dimensions wherever the result is provably the same symbol, and use ``"?"`` otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import Dim, TensorType
from intq.ops.base import (UNKNOWN, const_ints, dim_product, known_rank, normalize_axis,
                           unknown_shape)
from intq.ops.registry import REQUIRED, OpDef, broadcast_shapes, register


def reshape_target(shape: Sequence[Dim], target: Sequence[int], allowzero: int) -> list[Dim]:
    """Reshape's output dims: ``0`` copies the input dim (unless ``allowzero``), ``-1`` is
    solved from the element count, symbolically when the leftover is a single symbol."""
    out: list[Dim] = []
    for i, t in enumerate(target):
        if t == 0 and not allowzero:
            if i >= len(shape):
                raise ValueError(f"Reshape target {list(target)} copies axis {i} of a rank-"
                                 f"{len(shape)} input")
            out.append(shape[i])
        else:
            out.append(t)
    if -1 not in out:
        return out
    known = [d for d in out if d != -1]
    leftover = Counter(d for d in shape if isinstance(d, str))
    leftover.subtract(d for d in known if isinstance(d, str))
    in_static = int(np.prod([d for d in shape if isinstance(d, int)], dtype=np.int64))
    out_static = int(np.prod([d for d in known if isinstance(d, int)], dtype=np.int64))
    symbols = list(leftover.elements())
    solved: Dim = UNKNOWN
    if min(leftover.values(), default=0) >= 0 and out_static and in_static % out_static == 0:
        ratio = in_static // out_static
        if not symbols:
            solved = ratio
        elif len(symbols) == 1 and ratio == 1:
            solved = symbols[0]
    elif not out_static and not symbols and in_static:
        raise ValueError(f"Reshape target {list(target)} cannot hold {in_static} elements")
    return [solved if d == -1 else d for d in out]


@register
class Reshape(OpDef):
    op_type = "Reshape"
    attrs = {"allowzero": 0}
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, shape: np.ndarray
                 ) -> list[np.ndarray]:
        target = reshape_target(x.shape, const_ints(shape), attrs["allowzero"])
        return [x.reshape(target)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, shape = types[0], types[1]
        if consts[1] is None or not known_rank(x):
            rank = shape.shape[0] if known_rank(shape) and isinstance(shape.shape[0], int) else None
            return [unknown_shape(x.dtype, rank)]
        target = reshape_target(x.shape, const_ints(consts[1]), attrs["allowzero"])
        return [TensorType(tuple(target), x.dtype)]


def flatten_axis(axis: int, rank: int) -> int:
    """Flatten's split point: ``axis`` in [-rank, rank], negative counting from the end."""
    if not -rank <= axis <= rank:
        raise ValueError(f"Flatten axis {axis} is out of range for rank {rank}")
    return axis + rank if axis < 0 else axis


@register
class Flatten(OpDef):
    op_type = "Flatten"
    attrs = {"axis": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        axis = flatten_axis(attrs["axis"], x.ndim)
        return [x.reshape(int(np.prod(x.shape[:axis])), int(np.prod(x.shape[axis:])))]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [unknown_shape(x.dtype, 2)]
        axis = flatten_axis(attrs["axis"], len(x.shape))
        return [TensorType((dim_product(x.shape[:axis]), dim_product(x.shape[axis:])), x.dtype)]


@register
class Transpose(OpDef):
    """Permute axes; an empty ``perm`` (ONNX's default) reverses them."""

    op_type = "Transpose"
    attrs = {"perm": []}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.transpose(x, attrs["perm"] or None)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [unknown_shape(x.dtype, len(attrs["perm"]) or None)]
        perm = attrs["perm"] or list(range(len(x.shape)))[::-1]
        if sorted(perm) != list(range(len(x.shape))):
            raise ValueError(f"Transpose perm {perm} does not permute {len(x.shape)} axes")
        return [TensorType(tuple(x.shape[p] for p in perm), x.dtype)]


@register
class Squeeze(OpDef):
    """Drop the given size-1 axes, or every size-1 axis when ``axes`` is omitted (symbolic
    dimensions are then assumed not to be 1)."""

    op_type = "Squeeze"
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axes: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        listed = const_ints(axes)
        if listed is None:
            return [np.squeeze(x)]
        return [np.squeeze(x, tuple(normalize_axis(a, x.ndim, "Squeeze axis") for a in listed))]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        has_axes = len(types) > 1 and types[1] is not None
        if not known_rank(x) or (has_axes and consts[1] is None):
            return [unknown_shape(x.dtype)]
        if not has_axes:
            return [TensorType(tuple(d for d in x.shape if d != 1), x.dtype)]
        axes = {normalize_axis(a, len(x.shape), "Squeeze axis") for a in const_ints(consts[1])}
        for a in axes:
            if x.shape[a] not in (1, UNKNOWN) and isinstance(x.shape[a], int):
                raise ValueError(f"Squeeze axis {a} has size {x.shape[a]}, not 1")
        return [TensorType(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)]


@register
class Unsqueeze(OpDef):
    op_type = "Unsqueeze"
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axes: np.ndarray
                 ) -> list[np.ndarray]:
        return [np.expand_dims(x, self.axes(x.ndim, axes))]

    @staticmethod
    def axes(rank: int, axes: np.ndarray) -> tuple[int, ...]:
        listed = const_ints(axes)
        out_rank = rank + len(listed)
        return tuple(sorted(normalize_axis(a, out_rank, "Unsqueeze axis") for a in listed))

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x) or consts[1] is None:
            return [unknown_shape(x.dtype)]
        axes = self.axes(len(x.shape), consts[1])
        dims = iter(x.shape)
        out = [1 if i in axes else next(dims) for i in range(len(x.shape) + len(axes))]
        return [TensorType(tuple(out), x.dtype)]


@register
class Expand(OpDef):
    """Broadcast X against the ``shape`` input (both ways, as NumPy broadcasting)."""

    op_type = "Expand"
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, shape: np.ndarray
                 ) -> list[np.ndarray]:
        target = np.broadcast_shapes(x.shape, tuple(const_ints(shape)))
        return [np.array(np.broadcast_to(x, target))]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x, shape = types[0], types[1]
        if known_rank(x) and consts[1] is not None:
            return [TensorType(broadcast_shapes(x.shape, tuple(const_ints(consts[1]))), x.dtype)]
        length = shape.shape[0] if known_rank(shape) else None
        if not known_rank(x) or not isinstance(length, int):
            return [unknown_shape(x.dtype)]
        rank = max(len(x.shape), length)
        padded = (1,) * (rank - len(x.shape)) + tuple(x.shape)
        return [TensorType(tuple(UNKNOWN if d == 1 else d for d in padded), x.dtype)]


@register
class Tile(OpDef):
    op_type = "Tile"
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, repeats: np.ndarray
                 ) -> list[np.ndarray]:
        return [np.tile(x, const_ints(repeats))]


@register
class Concat(OpDef):
    op_type = "Concat"
    attrs = {"axis": REQUIRED}

    def evaluate(self, attrs: dict[str, Any], *xs: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], xs[0].ndim, "Concat axis")
        return [np.concatenate(xs, axis=axis)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        dtype = next(t for t in types if t is not None).dtype
        present = [t for t in types if known_rank(t)]
        if not present:
            return [unknown_shape(dtype)]
        if len(present) < sum(t is not None for t in types):
            return [unknown_shape(dtype, len(present[0].shape))]
        rank = len(present[0].shape)
        axis = normalize_axis(attrs["axis"], rank, "Concat axis")
        out: list[Dim] = []
        for i in range(rank):
            dims = [t.shape[i] for t in present]
            if i == axis:
                out.append(sum(dims) if all(isinstance(d, int) for d in dims) else UNKNOWN)
            else:
                out.append(next((d for d in dims if isinstance(d, int)), dims[0]))
        return [TensorType(tuple(out), dtype)]


def split_sizes(dim: int, split: np.ndarray | None, num_outputs: int | None) -> list[int]:
    """Chunk sizes: the ``split`` input, or ``num_outputs`` chunks of ``ceil(dim / n)`` with a
    smaller last one (opset 18)."""
    if split is not None and np.asarray(split).size:
        sizes = const_ints(split)
        if sum(sizes) != dim:
            raise ValueError(f"Split sizes {sizes} do not add up to the axis size {dim}")
        return sizes
    if not num_outputs:
        raise UnsupportedOpError("Split needs a 'split' input or a 'num_outputs' attribute")
    chunk = -(-dim // num_outputs)
    if (num_outputs - 1) * chunk >= dim:
        raise ValueError(f"Split cannot cut an axis of size {dim} into {num_outputs} chunks")
    return [min(chunk, dim - i * chunk) for i in range(num_outputs)]


@register
class Split(OpDef):
    """Split along ``axis`` by the ``split`` input or into ``num_outputs`` chunks
    (``num_outputs`` is ``None`` when sizes come from the input)."""

    op_type = "Split"
    attrs = {"axis": 0, "num_outputs": None}
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, split: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim, "Split axis")
        sizes = split_sizes(x.shape[axis], split, attrs["num_outputs"])
        return np.split(x, np.cumsum(sizes)[:-1], axis=axis)

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        given = len(types) > 1 and types[1] is not None
        split = consts[1] if given else None
        rank = len(x.shape) if known_rank(x) else None
        if given and split is None:
            count = types[1].shape[0] if known_rank(types[1]) else None
            return [unknown_shape(x.dtype, rank)] * (count if isinstance(count, int) else 1)
        count = np.asarray(split).size if given and split.size else attrs["num_outputs"]
        if rank is None:
            return [unknown_shape(x.dtype)] * count
        axis = normalize_axis(attrs["axis"], rank, "Split axis")
        dim = x.shape[axis]
        if isinstance(dim, int):
            sizes: list[Dim] = list(split_sizes(dim, split, attrs["num_outputs"]))
        else:
            sizes = const_ints(split) if given and split.size else [UNKNOWN] * count
        return [TensorType((*x.shape[:axis], s, *x.shape[axis + 1:]), x.dtype) for s in sizes]


_SLICE_TO_END = (2**31 - 1, 2**63 - 1)


def slice_bounds(dim: int, start: int, end: int, step: int) -> tuple[int, int]:
    """ONNX's clamping of start/end to the axis (negative values count from the end). As in
    ONNX Runtime, an ``end`` of INT32_MAX or INT64_MAX means "through the last element in the
    step's direction"."""
    if step == 0:
        raise ValueError("Slice step must not be 0")
    start = start + dim if start < 0 else start
    if end in _SLICE_TO_END:
        end = -1 if step < 0 else dim
    elif end < 0:
        end += dim
    if step > 0:
        return min(max(start, 0), dim), min(max(end, 0), dim)
    return min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)


def slice_params(rank: int, starts: np.ndarray, ends: np.ndarray, axes: np.ndarray | None,
                 steps: np.ndarray | None) -> list[tuple[int, int, int, int]]:
    """(axis, start, end, step) per sliced axis, axes normalized."""
    begin, stop = const_ints(starts), const_ints(ends)
    listed = const_ints(axes) if axes is not None and np.asarray(axes).size else None
    axis_list = listed if listed is not None else list(range(len(begin)))
    step_list = const_ints(steps) if steps is not None and np.asarray(steps).size else None
    step_list = step_list or [1] * len(begin)
    if not len(begin) == len(stop) == len(axis_list) == len(step_list):
        raise ValueError("Slice starts, ends, axes and steps differ in length")
    return [(normalize_axis(a, rank, "Slice axis"), s, e, st)
            for a, s, e, st in zip(axis_list, begin, stop, step_list)]


@register
class Slice(OpDef):
    op_type = "Slice"
    shape_inputs = (1, 2, 3, 4)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray, axes: np.ndarray | None = None,
                 steps: np.ndarray | None = None) -> list[np.ndarray]:
        index = [slice(None)] * x.ndim
        for axis, start, end, step in slice_params(x.ndim, starts, ends, axes, steps):
            lo, hi = slice_bounds(x.shape[axis], start, end, step)
            index[axis] = slice(lo, None if hi < 0 else hi, step)
        return [x[tuple(index)]]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        params = list(consts) + [None] * (5 - len(consts))
        given = list(types) + [None] * (5 - len(types))
        if not known_rank(x) or any(given[i] is not None and params[i] is None
                                    for i in range(1, 5)):
            return [unknown_shape(x.dtype, len(x.shape) if known_rank(x) else None)]
        shape = list(x.shape)
        for axis, start, end, step in slice_params(len(shape), *params[1:5]):
            dim = shape[axis]
            if isinstance(dim, int):
                lo, hi = slice_bounds(dim, start, end, step)
                shape[axis] = len(range(lo, hi, step))
            elif not (start == 0 and step == 1 and end >= 2**31 - 1):
                shape[axis] = UNKNOWN
        return [TensorType(tuple(shape), x.dtype)]


@register
class Pad(OpDef):
    """Pad (or crop, for negative pads) with ``mode`` constant, reflect, edge or wrap; ``pads``
    lists all begins then all ends for the given ``axes`` (default: every axis)."""

    op_type = "Pad"
    attrs = {"mode": "constant"}
    shape_inputs = (1, 3)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, pads: np.ndarray,
                 constant_value: np.ndarray | None = None, axes: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        mode = attrs["mode"]
        if mode not in ("constant", "reflect", "edge", "wrap"):
            raise UnsupportedOpError(f"Pad mode '{mode}' is not supported; use constant, "
                                     "reflect, edge or wrap")
        amounts = const_ints(pads)
        listed = const_ints(axes) if axes is not None else list(range(x.ndim))
        count = len(listed)
        if len(amounts) != 2 * count:
            raise ValueError(f"Pad pads {amounts} do not fit {count} axes")
        widths = [[0, 0] for _ in range(x.ndim)]
        for i, axis in enumerate(listed):
            widths[normalize_axis(axis, x.ndim, "Pad axis")] = [amounts[i], amounts[count + i]]
        crop = tuple(slice(max(-b, 0), d - max(-e, 0)) for (b, e), d in zip(widths, x.shape))
        x = x[crop]
        widths = [(max(b, 0), max(e, 0)) for b, e in widths]
        if mode == "constant":
            value = 0 if constant_value is None else np.asarray(constant_value).reshape(-1)[0]
            return [np.pad(x, widths, mode="constant", constant_values=value)]
        return [np.pad(x, widths, mode=mode)]


@register
class DepthToSpace(OpDef):
    op_type = "DepthToSpace"
    attrs = {"blocksize": REQUIRED, "mode": "DCR"}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        b = attrs["blocksize"]
        n, c, h, w = x.shape
        if attrs["mode"] == "DCR":
            y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        else:
            y = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
        return [y.reshape(n, c // (b * b), h * b, w * b)]


@register
class SpaceToDepth(OpDef):
    op_type = "SpaceToDepth"
    attrs = {"blocksize": REQUIRED}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        b = attrs["blocksize"]
        n, c, h, w = x.shape
        y = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
        return [y.reshape(n, c * b * b, h // b, w // b)]
