"""IntLUT: any unary function of a narrow integer input, as a table built at quantization."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import IntegerOp, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.registry import REQUIRED, register
from intq.quant.nonlinear.lut import apply_lut


@register
class IntLUT(IntegerOp):
    """``y = table[q - in_lo]``; an input outside the table is an error, never a wrap.

    Inputs: ``q`` (int), ``table`` (int constant, 1-D; its dtype is the output dtype, e.g.
    int8/uint8 from ``quant.nonlinear.build_lut``). Attributes:
    - ``in_lo`` (int, required): the input value of ``table[0]``, i.e. the smallest value of
      the input precision (``-offset`` of ``build_lut``).
    """

    op_type = "IntLUT"
    attrs = {"in_lo": REQUIRED}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray, table: np.ndarray
                 ) -> list[np.ndarray]:
        return [np.asarray(apply_lut(q, table, -int(attrs["in_lo"])))]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, types[1].dtype)]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        q = needs_range(ranges, 0, "IntLUT input q").hull()
        in_lo = int(attrs["in_lo"])
        table = consts[1]
        if table is None:
            return [needs_range(ranges, 1, "IntLUT table").hull()]
        in_hi = in_lo + table.size - 1
        if not q.fits(in_lo, in_hi):
            raise ValueError(f"input range [{q.low}, {q.high}] is not covered by the table's "
                             f"[{in_lo}, {in_hi}]; build the table over the input's precision")
        return [IntRange.of_array(table.reshape(-1)[q.low - in_lo:q.high - in_lo + 1])]
