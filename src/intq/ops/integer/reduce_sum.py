"""IntReduceSum: an exact sum over axes (GlobalAveragePool, ReduceMean numerators)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.base import known_rank, unknown_shape
from intq.ops.integer.base import (IntegerOp, acc_dtype, check_length, guard_int64, max_abs,
                                   needs_range, to_accumulator)
from intq.ops.integer.ranges import IntRange, scaled
from intq.ops.reduce import reduced_axes, reduced_shape
from intq.ops.registry import register


@register
class IntReduceSum(IntegerOp):
    """``y = sum of x over axes`` exactly, with ReduceSum's (opset 18) axes input.

    Inputs: ``x`` (int), ``axes`` (optional int64 constant; absent or empty means all axes).
    Attributes:
    - ``keepdims`` (int 0/1, default 1), ``noop_with_empty_axes`` (int 0/1, default 0): as
      in ReduceSum;
    - ``acc_bits`` (int 32 or 64, default 32): the accumulator dtype of the output;
    - ``max_length`` (int, default 0): when a reduced axis is symbolic, the most values one
      sum may add that the overflow proof covers (checked when run); 0 when all are static.
    """

    op_type = "IntReduceSum"
    attrs = {"keepdims": 1, "noop_with_empty_axes": 0, "acc_bits": 32, "max_length": 0}
    shape_inputs = (1,)
    accumulates = True

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, axes: np.ndarray | None = None
                 ) -> list[np.ndarray]:
        reduce = reduced_axes(axes, x.ndim, attrs["noop_with_empty_axes"])
        if reduce is None:
            return [to_accumulator(x.astype(np.int64), attrs)]
        count = math.prod(x.shape[a] for a in reduce)
        check_length(count, attrs, "IntReduceSum")
        guard_int64(max_abs(x) * count, "IntReduceSum")
        total = x.sum(axis=reduce, keepdims=bool(attrs["keepdims"]), dtype=np.int64)
        return [to_accumulator(np.asarray(total), attrs)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        x = types[0]
        dtype = acc_dtype(attrs).name
        has_axes = len(types) > 1 and types[1] is not None
        if not known_rank(x) or (has_axes and consts[1] is None):
            return [unknown_shape(dtype)]
        reduce = reduced_axes(consts[1] if has_axes else None, len(x.shape),
                              attrs["noop_with_empty_axes"])
        if reduce is None:
            return [TensorType(x.shape, dtype)]
        return [TensorType(reduced_shape(x.shape, reduce, attrs["keepdims"]), dtype)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        x = needs_range(ranges, 0, "IntReduceSum input x").hull()
        t = types[0]
        axes = consts[1] if len(consts) > 1 else None
        if t is None or t.shape is None or (len(types) > 1 and types[1] is not None
                                            and axes is None):
            raise ValueError("IntReduceSum needs a known input rank and constant axes to be "
                             "bounded")
        reduce = reduced_axes(axes, len(t.shape), attrs["noop_with_empty_axes"]) or ()
        sizes = [t.shape[a] for a in reduce]
        if all(isinstance(d, int) for d in sizes):
            return [scaled(x, math.prod(sizes))]
        if attrs.get("max_length"):
            return [scaled(x, int(attrs["max_length"]))]
        raise ValueError(f"IntReduceSum sums over axes {list(reduce)} of shape {t.shape}; "
                         "their sizes must be static (or a max_length given) to bound the sum")
