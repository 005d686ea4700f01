"""Additive attention masks → an explicit boolean mask: ``Add(x, C) → Softmax`` with constant
``C`` holding "minus infinity" entries (≤ -1e4, down to -3.4e38 or -inf) becomes
``Where(keep, x [+ finite part of C], lowest) → Softmax``.

Why: calibrating ``x + C`` would stretch the softmax input's range to -1e9 and wipe out its
resolution, and ``-inf`` is not even observable. After this pass calibration sees ``x`` (the
``Where`` output is never quantized), and the integer softmax takes ``keep`` as its mask and
gives masked positions exactly zero weight. In float the masked positions' ``exp`` already
underflows to 0, so outputs stay identical; only a fully masked row differs (uniform there,
all zeros in the integer softmax).

Masks computed from a model input, as ``transformers`` exports write them —
``(1 - Cast(attention_mask)) * finfo.min`` after Unsqueezes — become
``Where(Greater(mask, t), x, lowest)`` on the integer mask itself (the same Unsqueezes applied
to it), so the boolean mask never passes through a float tensor. Positions whose mask value
makes the additive term ``<= -1e4`` are masked; kept positions get no offset, which is exact
for the 0/1 masks such exports take (the kept value equals the constant subtracted from).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, const, scalar
from intq.passes.registry import register_pass

MASK_THRESHOLD = -1e4
"""Additive mask entries at or below this are "masked out"."""
RESHAPES = frozenset({"Unsqueeze", "Reshape", "Expand"})
"""Ops between an input mask's Cast and the arithmetic that are replayed on the integer mask."""


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
    if mask_index is None:
        return _rewrite_input_mask(graph, uses, add, scores)
    if add.inputs[1 - mask_index] in graph.constants:
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


def _rewrite_input_mask(graph: Graph, uses: Uses, add: Node, scores: str) -> bool:
    """``Add(x, Mul(Sub(c, chain(Cast(m))), neg))`` with ``neg <= -1e4`` → ``Where(m' > t, x,
    lowest)``, ``m'`` the integer mask through the same chain (see the module docstring)."""
    for index, additive in enumerate(add.inputs):
        found = _input_mask_source(graph, uses, additive)
        x = add.inputs[1 - index]
        if found is None or x in graph.constants:
            continue
        keep = _integer_keep(graph, uses, additive, *found)
        dtype = graph.values[scores].dtype
        remove_nodes(graph, [add])
        fill = constant_like(graph, f"{add.name}_fill", masked_fill_value(dtype), dtype)
        new_node(graph, "Where", [keep, x, fill], [scores], name=f"{add.name}_mask")
        return True
    return False


def _input_mask_source(graph: Graph, uses: Uses, additive: str
                       ) -> tuple[str, list[Node], int] | None:
    """``(float chain end, chain nodes from the Cast, threshold t)`` of an input-derived
    additive mask, or None. Masked where ``(c - v) * neg <= -1e4``, i.e. ``v <= t`` with
    ``t = floor(c - 1e4 / |neg|)`` for integer ``v``."""
    mul = uses.made_by(additive, "Mul")
    if mul is None:
        return None
    neg_index = next((i for i, n in enumerate(mul.inputs)
                      if (scalar(graph, n) or 0.0) <= MASK_THRESHOLD), None)
    if neg_index is None:
        return None
    sub = uses.made_by(mul.inputs[1 - neg_index], "Sub")
    c = scalar(graph, sub.inputs[0]) if sub is not None else None
    if c is None or not math.isfinite(c):
        return None
    chain, value = [], sub.inputs[1]
    while (node := uses.producer.get(value)) is not None and node.op in RESHAPES:
        chain.append(node)
        value = node.inputs[0]
    cast = uses.made_by(value, "Cast")
    if cast is None or np.dtype(graph.values[cast.inputs[0]].dtype).kind not in "biu":
        return None
    neg = scalar(graph, mul.inputs[neg_index])
    threshold = math.floor(Fraction(c) - Fraction(-MASK_THRESHOLD) / Fraction(-neg))
    return cast.inputs[0], chain[::-1], threshold


def _integer_keep(graph: Graph, uses: Uses, additive: str, source: str, chain: list[Node],
                  threshold: int) -> str:
    """The boolean keep tensor (shared by every Add reading the same mask)."""
    keep = f"{additive}_keep"
    if keep in graph.values:
        return keep
    value = source
    for node in chain:
        value = new_node(graph, node.op, [value, *node.inputs[1:]], name=f"{node.name}_int",
                         attrs=node.attrs).outputs[0]
    dtype = graph.values[source].dtype
    limit = constant_like(graph, f"{additive}_threshold", threshold, dtype if dtype != "bool"
                          else "int64")
    if dtype == "bool":
        value = new_node(graph, "Cast", [value], name=f"{additive}_int64",
                         attrs={"to": "int64"}).outputs[0]
    new_node(graph, "Greater", [value, limit], [keep], name=f"{additive}_keep")
    return keep
