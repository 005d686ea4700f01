"""Additive attention masks → an explicit boolean mask: ``Add(x, C) → Softmax`` with constant
``C`` holding "minus infinity" entries (≤ -1e4, down to -3.4e38 or -inf) becomes
``Where(keep, x [+ finite part of C], lowest) → Softmax``.

Why: calibrating ``x + C`` would stretch the softmax input's range to -1e9 and wipe out its
resolution, and ``-inf`` is not even observable. After this pass calibration sees ``x`` (the
``Where`` output is never quantized), and the integer softmax takes ``keep`` as its mask and
gives masked positions exactly zero weight. In float the masked positions' ``exp`` already
underflows to 0, so outputs stay identical; only a fully masked row differs (uniform there,
all zeros in the integer softmax).
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, const
from intq.passes.registry import register_pass

MASK_THRESHOLD = -1e4
"""Additive mask entries at or below this are "masked out"."""


@register_pass
def isolate_softmax_masks(graph: Graph) -> bool:
    return rewrite_each(graph, {"Softmax"}, _rewrite)


def masked_fill_value(dtype: str) -> float:
    """The stand-in for masked positions: the most negative finite value of ``dtype``."""
    return float(np.finfo(np.dtype(dtype)).min)


def _rewrite(graph: Graph, uses: Uses, softmax: Node) -> bool:
    scores = softmax.inputs[0]
    add = uses.made_by(scores, "Add")
    if add is None or not uses.private(scores, softmax):
        return False
    mask_index = next((i for i, name in enumerate(add.inputs) if _is_mask(const(graph, name))),
                      None)
    if mask_index is None or add.inputs[1 - mask_index] in graph.constants:
        return False
    x, additive = add.inputs[1 - mask_index], graph.constants[add.inputs[mask_index]]
    dtype = graph.values[scores].dtype
    masked = additive <= MASK_THRESHOLD
    finite = np.where(masked, 0, additive)
    remove_nodes(graph, [add])
    if finite.any():
        offset = constant_like(graph, f"{add.name}_finite", finite, dtype)
        x = new_node(graph, "Add", [x, offset], name=add.name).outputs[0]
    keep = graph.add_constant(f"{add.name}_keep", ~masked)
    fill = constant_like(graph, f"{add.name}_fill", masked_fill_value(dtype), dtype)
    new_node(graph, "Where", [keep, x, fill], [scores], name=f"{add.name}_mask")
    return True


def _is_mask(array: np.ndarray | None) -> bool:
    return (array is not None and array.dtype.kind == "f" and array.size > 0
            and bool((array <= MASK_THRESHOLD).any()))
