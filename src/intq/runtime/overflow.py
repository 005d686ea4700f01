"""The static overflow proof: a sound range for every integer tensor of a quantized graph.

Ranges start at the graph inputs (their declared precision) and the integer constants (their
actual values) and flow through the nodes in order: integer ops state their own rule
(``IntegerOp.value_range``), the float ops the quantized graph reuses on integers follow the
table below. Every range is checked against its value's dtype and declared precision, and the
ops check their int64 intermediates (``|acc * m| <= 2^62``). A graph that passes can never
overflow or wrap for inputs within their declared precision; one that does not is rejected
with the node at fault. Both the quantizer and the ``.intq`` loader run it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from intq.errors import IntqError
from intq.ir.graph import Graph, Node
from intq.ops.integer import IntegerOp, IntRange
from intq.ops.integer.ranges import union
from intq.ops.registry import get_op
from intq.quant.bounds import bits_for_bound
from intq.quant.fixedpoint import int_range


class OverflowProofError(IntqError):
    """A quantized graph whose integers could leave their precision or int64."""


def prove_no_overflow(graph: Graph) -> dict[str, int]:
    """``{tensor: max |q|}`` for every integer tensor, also stored in ``value.quant.bound``.

    Raises ``OverflowProofError`` naming the node whose output could exceed its dtype or
    declared precision, or whose kernel could overflow int64.
    """
    return _prove(graph, fit=False)


def fit_accumulators(graph: Graph) -> dict[str, int]:
    """``prove_no_overflow`` that first sets each accumulating node's ``acc_bits`` to 32 when
    its proven range fits int32 (64 otherwise), its output dtype accordingly, and its
    ``quant.bits`` to the proven width."""
    return _prove(graph, fit=True)


def accumulator_bits(graph: Graph) -> int:
    """The widest accumulator the proof needs, in bits (signed); 0 without accumulators."""
    bounds = prove_no_overflow(graph)
    widths = [bits_for_bound(bounds[out], True) for node in graph.nodes
              if getattr(get_op(node.op, node.name), "accumulates", False)
              for out in node.outputs if out in bounds]
    return max(widths, default=0)


def _prove(graph: Graph, fit: bool) -> dict[str, int]:
    ranges: dict[str, IntRange] = {}
    for name in graph.inputs:
        value = graph.values[name]
        if np.dtype(value.dtype).kind in "iu":
            r = (IntRange.of_bits(value.quant.bits, value.quant.signed) if value.quant
                 else IntRange.of_dtype(value.dtype))
            _check(graph, None, name, r, value.dtype)
            ranges[name] = r
    for name, array in graph.constants.items():
        if array.dtype.kind in "iu":
            ranges[name] = IntRange.of_array(array)
    for node in graph.nodes:
        for name, r, dtype in _node_ranges(graph, node, ranges, fit):
            _check(graph, node, name, r, dtype)
            ranges[name] = r
    bounds = {}
    for name, r in ranges.items():
        bounds[name] = r.magnitude()
        quant = graph.values[name].quant
        if quant is not None:
            quant.bound = bounds[name]
    return bounds


def _node_ranges(graph: Graph, node: Node, ranges: dict[str, IntRange], fit: bool
                 ) -> list[tuple[str, IntRange, str]]:
    """``(output, range, dtype)`` for each integer output of ``node``."""
    opdef = get_op(node.op, node.name)
    ins = [ranges.get(i) if i else None for i in node.inputs]
    consts = [graph.constants.get(i) if i else None for i in node.inputs]
    types = [graph.values[i].type if i else None for i in node.inputs]
    try:
        if isinstance(opdef, IntegerOp):
            outs = opdef.value_range(node.attrs, ins, consts, types)
            if fit and opdef.accumulates:
                _fit(graph, node, outs[0])
            dtypes = [t.dtype for t in opdef.infer(node.attrs, types, consts)]
        else:
            outs = _float_op_ranges(graph, node, ins, consts)
            dtypes = [graph.values[o].dtype if o else "" for o in node.outputs]
    except ValueError as exc:
        raise OverflowProofError(f"node '{node.name}' ({node.op}): {exc}") from None
    return [(name, r, dtype) for name, r, dtype in zip(node.outputs, outs, dtypes)
            if name and r is not None]


def _fit(graph: Graph, node: Node, r: IntRange) -> None:
    bits = 32 if r.fits(*int_range(32, True)) else 64
    node.attrs["acc_bits"] = bits
    value = graph.values[node.outputs[0]]
    value.dtype = f"int{bits}"
    if value.quant is not None:
        value.quant.signed = bool(value.quant.signed) or r.low < 0
        value.quant.bits = min(_width(r, value.quant.signed), 63)


def _width(r: IntRange, signed: bool) -> int:
    if signed:
        return max((-r.low - 1).bit_length(), r.high.bit_length()) + 1
    return max(r.high.bit_length(), 1)


def _check(graph: Graph, node: Node | None, name: str, r: IntRange, dtype: str) -> None:
    where = f"node '{node.name}' ({node.op}): output" if node else "graph input"
    value = graph.values[name]
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(np.dtype(dtype))
        if not r.fits(int(info.min), int(info.max)):
            raise OverflowProofError(
                f"{where} '{name}' may reach [{r.low}, {r.high}], beyond its {dtype} storage; "
                f"{_advice(node)}")
    quant = value.quant
    if quant is not None and not r.fits(*int_range(quant.bits, quant.signed)):
        kind = "signed" if quant.signed else "unsigned"
        raise OverflowProofError(
            f"{where} '{name}' may reach [{r.low}, {r.high}] (|q| <= {r.magnitude()}), beyond "
            f"its declared {quant.bits}-bit {kind} precision; {_advice(node)}")


def _advice(node: Node | None) -> str:
    if node is None:
        return "declare a precision that fits the input's dtype"
    if getattr(get_op(node.op, node.name), "accumulates", False):
        return "set acc_bits=64 (fit_accumulators) or lower the input or weight precision"
    return "lower the precision of its inputs or requantize before it"


RangeRule = Callable[[Node, Sequence[IntRange | None], Sequence[np.ndarray | None]],
                     list[IntRange | None]]


def _same(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
          ) -> list[IntRange | None]:
    """Data movement and selection: every output value is some input value."""
    return [ins[0].hull()] * len(node.outputs)


def _max_pool(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
              ) -> list[IntRange | None]:
    return [ins[0].hull(), None]


def _resize(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
            ) -> list[IntRange | None]:
    """Nearest resizing only picks input values. Other modes interpolate, which on integers
    has no exact form that the runtime, the quantizer and the export agree on (they lower and
    export only ``nearest``), so a file holding one is rejected rather than run in float."""
    if node.attrs.get("mode") != "nearest":
        raise ValueError(f"{node.attrs.get('mode')} Resize on integers interpolates, which has "
                         "no exact integer form; use nearest or keep the Resize in float")
    return [ins[0].hull()]


def _pad(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
         ) -> list[IntRange | None]:
    fill = ins[2] if len(ins) > 2 and ins[2] is not None else IntRange.of(0, 0)
    return [union([ins[0], fill])]


def _concat(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
            ) -> list[IntRange | None]:
    return [union(_all_integer(node, ins))]


def _max(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
         ) -> list[IntRange | None]:
    present = _all_integer(node, ins)
    return [IntRange.of(max(r.low for r in present), max(r.high for r in present))]


def _min(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
         ) -> list[IntRange | None]:
    present = _all_integer(node, ins)
    return [IntRange.of(min(r.low for r in present), min(r.high for r in present))]


def _top_k(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
           ) -> list[IntRange | None]:
    """Values are input values; indices are int64 positions."""
    return [ins[0].hull(), IntRange.of_dtype("int64")]


def _all_integer(node: Node, ins: Sequence[IntRange | None]) -> list[IntRange]:
    if any(r is None for r in ins):
        raise ValueError(f"{node.op} mixes integer and float inputs")
    return list(ins)


def _relu(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
          ) -> list[IntRange | None]:
    return [IntRange.of(0, ins[0].high)]


def _clip(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
          ) -> list[IntRange | None]:
    """Constant bounds clamp the range; variable ones only add their own range to it."""
    low, high = ins[0].low, ins[0].high
    for index, pick in ((1, max), (2, min)):
        if index < len(ins) and ins[index] is not None:
            bound = consts[index]
            if bound is not None and bound.size:
                limit = int(bound.reshape(-1)[0])
                low, high = pick(low, limit), pick(high, limit)
            else:
                low, high = min(low, ins[index].low), max(high, ins[index].high)
    return [IntRange.of(low, high)]


def _fill(node: Node, ins: Sequence[IntRange | None], consts: Sequence[np.ndarray | None]
          ) -> list[IntRange | None]:
    """ConstantOfShape: its one value (with 0, as every range holds it)."""
    value = int(node.attrs["value"])
    return [IntRange.of(min(value, 0), max(value, 0))]


_FLOAT_OP_RULES: dict[str, RangeRule] = {
    **dict.fromkeys(["Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice",
                     "Gather", "GatherElements", "GatherND", "Split", "Expand", "Tile",
                     "Identity", "GlobalMaxPool", "ReduceMax", "ReduceMin", "DepthToSpace",
                     "SpaceToDepth"], _same),
    "MaxPool": _max_pool, "Resize": _resize, "Pad": _pad, "Concat": _concat, "Max": _max,
    "Min": _min, "Relu": _relu, "Clip": _clip, "TopK": _top_k,
}
_SOURCE_RULES: dict[str, RangeRule] = {"ConstantOfShape": _fill}
"""Reused float ops whose integer output does not come from an input's values."""


def _float_op_ranges(graph: Graph, node: Node, ins: Sequence[IntRange | None],
                     consts: Sequence[np.ndarray | None]) -> list[IntRange | None]:
    """Reused float ops on integer data follow their rule; any other op producing integers
    is only known to stay within its output dtype."""
    if node.op in _SOURCE_RULES:
        return _SOURCE_RULES[node.op](node, ins, consts)
    rule = _FLOAT_OP_RULES.get(node.op)
    if rule is not None and ins and ins[0] is not None:
        return rule(node, ins, consts)
    out = []
    for name in node.outputs:
        dtype = np.dtype(graph.values[name].dtype) if name else None
        out.append(IntRange.of_dtype(dtype) if dtype is not None and dtype.kind in "iu"
                   else None)
    return out
