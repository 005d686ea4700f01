"""AveragePool → IntSumPool + Requantize by ``s_in / (K s_out)``.

Only a constant divisor folds into the multiplier: every window must count ``K`` elements,
which holds without padding or with ``count_include_pad`` (and without ceil-mode overhang).
Other average pools have a per-position divisor and must be restored to float.
"""

from __future__ import annotations

import math

import numpy as np

from intq.ir.graph import Node
from intq.quantize.context import Lowering
from intq.quantize.errors import QuantizeError
from intq.quantize.rules.epilogue import finish_epilogue, plan_epilogue
from intq.quantize.rules.registry import lowers

SUM_POOL_ATTRS = ("kernel_shape", "strides", "dilations", "pads")


@lowers("AveragePool")
def lower_average_pool(ctx: Lowering, node: Node) -> bool:
    x = node.inputs[0]
    if not ctx.is_float(x):
        return False
    attrs = node.attrs
    padded = any(attrs["pads"]) and not attrs["count_include_pad"]
    if padded or (attrs["ceil_mode"] and _overhangs(ctx, node)):
        raise QuantizeError(f"node '{node.name}' (AveragePool) divides border windows by "
                            "fewer elements, which has no exact integer form; add it to "
                            "restore_nodes")
    epi = plan_epilogue(ctx, node, None, None, allow_offset=False)
    xq = ctx.integer(x)
    scale = ctx.quant(xq).scale / math.prod(attrs["kernel_shape"])
    acc = ctx.accumulate("IntSumPool", [xq], {k: attrs[k] for k in SUM_POOL_ATTRS}, node=node,
                         scale=scale)
    finish_epilogue(ctx, node, acc, np.array([scale]), epi, None)
    return True


def _overhangs(ctx: Lowering, node: Node) -> bool:
    """Whether ceil mode adds windows past the padded input (unknown sizes count as yes)."""
    shape = ctx.src.values[node.inputs[0]].shape
    if shape is None or not all(isinstance(d, int) for d in shape[2:]):
        return True
    attrs = node.attrs
    rank = len(attrs["kernel_shape"])
    for i, size in enumerate(shape[2:]):
        span = size + attrs["pads"][i] + attrs["pads"][i + rank]
        extent = (attrs["kernel_shape"][i] - 1) * attrs["dilations"][i] + 1
        if (span - extent) % attrs["strides"][i]:
            return True
    return False
