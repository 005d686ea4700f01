"""ArgMax, ArgMin and TopK run unchanged on integers: exact, not approximate.

At a positive scale ``s``, ``r = s q`` preserves order, so the positions of the largest
integers are the positions of the largest grid values, ties broken as ONNX breaks them
(first index; last with ``select_last_index``; TopK keeps equal values in input order).
Indices stay int64; TopK's values stay on the input's grid. What can differ from the float
model is only where quantization made two different floats equal.
"""

from __future__ import annotations

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.rules.movement import pass_through
from intq.quantize.rules.registry import lowers


@lowers("ArgMax", "ArgMin", "TopK")
def lower_selection(ctx: Lowering, node: Node) -> bool:
    return pass_through(ctx, node)
