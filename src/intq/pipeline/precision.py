"""What a quantized graph is made of: per-tensor precision, size, and its exact and float parts.

Shared by the report and ``intq inspect`` so both state the same figures. Bounds and
accumulator widths come from the overflow proof (``runtime.overflow``), not from the values
stored in the file. Sizes count parameters at their declared width (a 4-bit weight is half a
byte, as it would be packed for deployment); the float size is the same parameters as float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from intq.ir.graph import Graph
from intq.ops.registry import get_op
from intq.quant.bounds import bits_for_bound
from intq.quantize.lower import META_KEY
from intq.runtime.overflow import prove_no_overflow

FLOAT_BYTES = 4


@dataclass(frozen=True)
class TensorPrecision:
    """One integer tensor: ``kind`` is ``input``, ``activation``, ``accumulator`` or
    ``constant``; ``proven_bits`` the width its proven bound needs (``bound`` is the proven
    max |q|; the proof has checked it fits ``bits``)."""

    tensor: str
    kind: str
    bits: int
    signed: bool
    scale: float | list[float] | None
    bound: int | None
    proven_bits: int | None

    @property
    def precision(self) -> str:
        return f"{'i' if self.signed else 'u'}{self.bits}"

    @property
    def scale_text(self) -> str:
        if isinstance(self.scale, list):
            return f"per-channel[{len(self.scale)}]"
        return "-" if self.scale is None else f"{self.scale:.4g}"


def is_quantized(graph: Graph) -> bool:
    return META_KEY in graph.meta


def precision_table(graph: Graph) -> list[TensorPrecision]:
    """Every tensor with a ``QuantInfo`` in graph order: inputs, then each node's constants
    (at first use) and outputs."""
    bounds = prove_no_overflow(graph)
    accumulators = {o for n in graph.nodes if getattr(get_op(n.op, n.name), "accumulates", False)
                    for o in n.outputs}
    order = list(graph.inputs)
    for node in graph.nodes:
        order += [i for i in node.inputs if i in graph.constants] + [o for o in node.outputs if o]
    rows = []
    for name in dict.fromkeys(order):
        quant = graph.values[name].quant
        if quant is None:
            continue
        if name in graph.constants:
            kind = "constant"
        elif name in accumulators:
            kind = "accumulator"
        else:
            kind = "activation" if name not in graph.inputs else "input"
        bound = bounds.get(name)
        proven = (min(bits_for_bound(bound, quant.signed), quant.bits)
                  if bound is not None else None)
        rows.append(TensorPrecision(name, kind, quant.bits, quant.signed, quant.scale, bound,
                                    proven))
    return rows


def accumulator_bits(rows: list[TensorPrecision]) -> int:
    """The widest accumulator the proof needs (0 without accumulators)."""
    return max((r.proven_bits or 0 for r in rows if r.kind == "accumulator"), default=0)


def model_sizes(graph: Graph) -> dict[str, int]:
    """Parameter bytes: ``float`` (quantized parameters as float32, float ones as they are)
    and ``integer`` (quantized ones at their bit width, the rest as stored)."""
    float_bytes = int_bytes = 0
    for name, array in graph.constants.items():
        quant = graph.values[name].quant
        if quant is not None:
            float_bytes += array.size * FLOAT_BYTES
            int_bytes += math.ceil(array.size * quant.bits / 8)
        else:
            int_bytes += array.nbytes
            if array.dtype.kind == "f":
                float_bytes += array.nbytes
    return {"float": float_bytes, "integer": int_bytes}


def parameter_count(graph: Graph) -> int:
    """Elements of the quantized (and float) parameters with more than one element."""
    return int(sum(a.size for n, a in graph.constants.items() if a.size > 1 and (
        graph.values[n].quant is not None or a.dtype.kind == "f")))


def exact_parts(graph: Graph) -> dict[str, Any]:
    """The quantizer's record: whether the graph is integer-only between its Quantize and
    Dequantize nodes, how many nodes are integer, and the float nodes with their reasons."""
    record = graph.meta.get(META_KEY, {})
    return {"exact": bool(record.get("exact", False)),
            "integer_nodes": len(record.get("integer_nodes", [])),
            "float_nodes": dict(record.get("float_nodes", {}))}

