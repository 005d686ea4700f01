"""IntLogSoftmax: integer log-softmax (``quant.nonlinear.logsoftmax``) as a graph op.

``logsoftmax_attrs`` and ``logsoftmax_plan`` convert between the plan and the attributes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.ir.graph import TensorType
from intq.ops.integer.base import ElementwiseIntegerOp, needs_range
from intq.ops.integer.ranges import IntRange
from intq.ops.integer.softmax import EXP_OUT_SCALE
from intq.ops.registry import REQUIRED, register
from intq.quant.nonlinear.exp import ExpPlan
from intq.quant.nonlinear.logsoftmax import LogSoftmaxPlan, i_log_softmax

_PLAN_KEYS = ("in_bits", "in_clamp", "m", "k", "poly_b", "poly_c", "m_d", "m_l", "c", "shift")


def logsoftmax_attrs(plan: LogSoftmaxPlan, axis: int = -1) -> dict[str, Any]:
    """The IntLogSoftmax attributes that carry ``plan``."""
    e = plan.exp
    return {"axis": axis, "in_bits": plan.in_bits, "in_clamp": e.in_clamp, "m": e.m, "k": e.k,
            "poly_b": e.poly_b, "poly_c": e.poly_c, "m_d": plan.m_d, "m_l": plan.m_l,
            "c": plan.c, "shift": plan.shift, "bits": plan.out_bits,
            "signed": int(plan.out_signed)}


def logsoftmax_plan(attrs: dict[str, Any]) -> LogSoftmaxPlan:
    """The plan an IntLogSoftmax node's attributes describe."""
    a = {key: int(attrs[key]) for key in _PLAN_KEYS}
    exp = ExpPlan(a["in_clamp"], a["m"], a["k"], a["poly_b"], a["poly_c"], EXP_OUT_SCALE,
                  a["poly_b"] ** 2 + a["poly_c"])
    return LogSoftmaxPlan(exp, a["in_bits"], a["m_d"], a["m_l"], a["c"], a["shift"],
                          int(attrs["bits"]), bool(attrs["signed"]))


@register
class IntLogSoftmax(ElementwiseIntegerOp):
    """Log-probabilities along ``axis``: integer softmax's ``i_exp`` of ``q - max``, a log2
    table of the row sum, one rounding onto the output grid.

    Input ``q`` (signed int of ``in_bits``). Attributes (``logsoftmax_attrs(plan)``):
    - ``axis`` (int, default -1);
    - ``in_bits``, ``in_clamp``, ``m``, ``k``, ``poly_b``, ``poly_c`` (int, required): the
      exponential's plan;
    - ``m_d``, ``m_l``, ``c``, ``shift`` (int, required): the final sum's multipliers, offset
      and shift;
    - ``bits`` (int, default 8), ``signed`` (int 0/1, default 1): output precision.
    """

    op_type = "IntLogSoftmax"
    attrs = {"axis": -1, **dict.fromkeys(_PLAN_KEYS, REQUIRED), "bits": 8, "signed": 1}

    def evaluate(self, attrs: dict[str, Any], q: np.ndarray) -> list[np.ndarray]:
        return [i_log_softmax(q, logsoftmax_plan(attrs), int(attrs["axis"]))]

    def value_range(self, attrs: dict[str, Any], ranges: Sequence[IntRange | None],
                    consts: Sequence[np.ndarray | None], types: Sequence[TensorType | None]
                    ) -> list[IntRange | None]:
        q = needs_range(ranges, 0, "IntLogSoftmax input q").hull()
        bits = int(attrs["in_bits"])
        if not q.fits(-(1 << (bits - 1)), (1 << (bits - 1)) - 1):
            raise ValueError(f"input range [{q.low}, {q.high}] exceeds the declared "
                             f"{bits}-bit signed input")
        return [IntRange.of_bits(attrs["bits"], attrs["signed"])]
