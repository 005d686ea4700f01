"""Base classes for op families that share a shape rule, so each op states only its math.

Conventions every op module follows (the importer relies on them):
- an optional ONNX attribute without a default is ``None`` (scalar) or ``[]`` (list) when absent;
- an omitted optional input arrives in ``evaluate`` as ``None``;
- integer inputs that steer the output shape are listed in ``shape_inputs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from intq.ir.graph import Dim, Shape, TensorType
from intq.ops.registry import OpDef, broadcast_shapes

UNKNOWN: Dim = "?"
"""A dimension whose size inference cannot name."""


class SameTypeOp(OpDef):
    """Ops whose (every) output has the type of input 0: activations, Softmax, Identity..."""

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [types[0]] * self.num_outputs


class UnaryOp(SameTypeOp):
    """Elementwise ``apply(x)`` whose result keeps ``x``'s dtype (as ONNX's type rule demands)."""

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(self.apply(attrs, x)).astype(x.dtype, copy=False)]

    def apply(self, attrs: dict[str, Any], x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class BroadcastOp(OpDef):
    """Elementwise op over multidirectionally broadcast inputs.

    The result dtype is ``out_dtype`` when set (comparisons give ``bool``), else input
    ``dtype_input``'s (Where takes it from X, not from the condition).
    """

    out_dtype: ClassVar[str | None] = None
    dtype_input: ClassVar[int] = 0

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        present = [t for t in types if t is not None]
        shape = broadcast_shapes(*(t.shape for t in present))
        return [TensorType(shape, self.out_dtype or types[self.dtype_input].dtype)]


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    """ONNX allows negative axes counted from the end; reject ones outside ``[-rank, rank)``."""
    if not -rank <= axis < rank:
        raise ValueError(f"{what} {axis} is out of range for rank {rank}")
    return axis % rank


def dim_product(dims: Sequence[Dim]) -> Dim:
    """Product of dimensions; a single symbol times ones stays that symbol, else ``"?"``."""
    static = int(np.prod([d for d in dims if isinstance(d, int)], dtype=np.int64))
    symbols = [d for d in dims if isinstance(d, str)]
    if not symbols:
        return static
    if len(symbols) == 1 and static == 1:
        return symbols[0]
    return 0 if static == 0 else UNKNOWN


def const_ints(array: np.ndarray | None) -> list[int] | None:
    """A constant integer input as a Python list, or ``None`` when the input is omitted."""
    if array is None:
        return None
    return [int(v) for v in np.asarray(array).reshape(-1)]


def known_rank(t: TensorType | None) -> bool:
    return t is not None and t.shape is not None


def unknown_shape(dtype: str, rank: int | None = None) -> TensorType:
    shape: Shape = None if rank is None else (UNKNOWN,) * rank
    return TensorType(shape, dtype)
