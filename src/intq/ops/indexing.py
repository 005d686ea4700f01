"""Index-driven ops: Gather*, Scatter*, TopK, NonZero, OneHot and Trilu.

Negative indices count from the end of the indexed axis, as in ONNX.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import TensorType
from intq.ops.base import UNKNOWN, SameTypeOp, const_ints, known_rank, normalize_axis, unknown_shape
from intq.ops.registry import OpDef, register


def _wrap(indices: np.ndarray, size: int) -> np.ndarray:
    indices = indices.astype(np.int64)
    return np.where(indices < 0, indices + size, indices)


@register
class Gather(OpDef):
    op_type = "Gather"
    attrs = {"axis": 0}

    def evaluate(self, attrs: dict[str, Any], data: np.ndarray, indices: np.ndarray
                 ) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], data.ndim, "Gather axis")
        return [np.take(data, _wrap(indices, data.shape[axis]), axis=axis)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        data, indices = types[0], types[1]
        if not (known_rank(data) and known_rank(indices)):
            return [unknown_shape(data.dtype)]
        axis = normalize_axis(attrs["axis"], len(data.shape), "Gather axis")
        shape = (*data.shape[:axis], *indices.shape, *data.shape[axis + 1:])
        return [TensorType(shape, data.dtype)]


@register
class GatherElements(OpDef):
    """out[i][j] = data[indices[i][j]][j] (for axis 0): the output has the indices' shape."""

    op_type = "GatherElements"
    attrs = {"axis": 0}

    def evaluate(self, attrs: dict[str, Any], data: np.ndarray, indices: np.ndarray
                 ) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], data.ndim, "GatherElements axis")
        return [np.take_along_axis(data, _wrap(indices, data.shape[axis]), axis=axis)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[1].shape, types[0].dtype)]


def _batched(data: np.ndarray, indices: np.ndarray, batch_dims: int
             ) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Flatten the leading ``batch_dims`` of data and indices into one batch axis."""
    batch = data.shape[:batch_dims]
    return (data.reshape(-1, *data.shape[batch_dims:]),
            indices.reshape(-1, *indices.shape[batch_dims:]), batch)


@register
class GatherND(OpDef):
    op_type = "GatherND"
    attrs = {"batch_dims": 0}

    def evaluate(self, attrs: dict[str, Any], data: np.ndarray, indices: np.ndarray
                 ) -> list[np.ndarray]:
        b = attrs["batch_dims"]
        flat_data, flat_idx, batch = _batched(data, indices, b)
        depth = indices.shape[-1]
        sizes = flat_data.shape[1:1 + depth]
        out = []
        for d, idx in zip(flat_data, flat_idx):
            coords = tuple(_wrap(idx[..., i], sizes[i]) for i in range(depth))
            out.append(d[coords])
        result = np.stack(out) if out else np.zeros((0,), data.dtype)
        return [result.reshape(*batch, *indices.shape[b:-1], *data.shape[b + depth:])]


class ScatterOp(OpDef):
    """Scatter with ``reduction`` none (overwrite), add, mul, max or min."""

    attrs = {"reduction": "none"}
    _UFUNCS = {"add": np.add, "mul": np.multiply, "max": np.maximum, "min": np.minimum}

    def write(self, attrs: dict[str, Any], out: np.ndarray, where: tuple[np.ndarray, ...],
              updates: np.ndarray) -> None:
        reduction = attrs["reduction"]
        if reduction == "none":
            out[where] = updates
        elif reduction in self._UFUNCS:
            self._UFUNCS[reduction].at(out, where, updates)
        else:
            raise UnsupportedOpError(f"{self.op_type} reduction '{reduction}' is not supported; "
                                     "use none, add, mul, max or min")

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [types[0]]


@register
class ScatterND(ScatterOp):
    op_type = "ScatterND"

    def evaluate(self, attrs: dict[str, Any], data: np.ndarray, indices: np.ndarray,
                 updates: np.ndarray) -> list[np.ndarray]:
        out = data.copy()
        depth = indices.shape[-1]
        where = tuple(_wrap(indices[..., i], data.shape[i]) for i in range(depth))
        self.write(attrs, out, where, updates)
        return [out]


@register
class ScatterElements(ScatterOp):
    op_type = "ScatterElements"
    attrs = {"axis": 0, "reduction": "none"}

    def evaluate(self, attrs: dict[str, Any], data: np.ndarray, indices: np.ndarray,
                 updates: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], data.ndim, "ScatterElements axis")
        where = list(np.indices(indices.shape, sparse=True))
        where[axis] = _wrap(indices, data.shape[axis])
        out = data.copy()
        self.write(attrs, out, tuple(where), updates)
        return [out]


@register
class TopK(OpDef):
    """The K largest (or smallest) values along ``axis`` and their int64 indices; equal values
    keep their original order, as in ONNX Runtime."""

    op_type = "TopK"
    attrs = {"axis": -1, "largest": 1, "sorted": 1}
    num_outputs = 2
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, k: np.ndarray) -> list[np.ndarray]:
        axis = normalize_axis(attrs["axis"], x.ndim, "TopK axis")
        count = const_ints(k)[0]
        keys = x
        if attrs["largest"]:
            keys = ~x if x.dtype.kind in "iu" else -x  # ~x reverses integer order, never wraps
        order = np.argsort(keys, axis=axis, kind="stable")
        index = np.take(order, np.arange(count), axis=axis)
        return [np.take_along_axis(x, index, axis=axis), index.astype(np.int64)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        if not known_rank(x):
            return [unknown_shape(x.dtype), unknown_shape("int64")]
        axis = normalize_axis(attrs["axis"], len(x.shape), "TopK axis")
        count = UNKNOWN if consts[1] is None else const_ints(consts[1])[0]
        shape = (*x.shape[:axis], count, *x.shape[axis + 1:])
        return [TensorType(shape, x.dtype), TensorType(shape, "int64")]


@register
class NonZero(OpDef):
    """Coordinates of the non-zero elements, shape (rank, count); the count is data-dependent."""

    op_type = "NonZero"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.array(np.nonzero(x), dtype=np.int64).reshape(x.ndim, -1)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        rank = len(x.shape) if known_rank(x) else UNKNOWN
        return [TensorType((rank, UNKNOWN), "int64")]


@register
class OneHot(OpDef):
    """One-hot encode along a new ``axis``: ``values`` = [off, on]; indices may be negative."""

    op_type = "OneHot"
    attrs = {"axis": -1}
    shape_inputs = (1,)

    def evaluate(self, attrs: dict[str, Any], indices: np.ndarray, depth: np.ndarray,
                 values: np.ndarray) -> list[np.ndarray]:
        size = int(np.asarray(depth).reshape(-1)[0])
        axis = normalize_axis(attrs["axis"], indices.ndim + 1, "OneHot axis")
        idx = _wrap(np.asarray(indices), size)
        hot = np.expand_dims(idx, axis) == np.arange(size).reshape(
            [-1 if i == axis else 1 for i in range(indices.ndim + 1)])
        return [np.where(hot, values[1], values[0]).astype(values.dtype)]


@register
class Trilu(SameTypeOp):
    """Keep the upper (``upper=1``) or lower triangle of the last two axes, shifted by the
    optional diagonal offset ``k``."""

    op_type = "Trilu"
    attrs = {"upper": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, k: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        offset = 0 if k is None else int(np.asarray(k).reshape(-1)[0])
        return [np.triu(x, offset) if attrs["upper"] else np.tril(x, offset)]
