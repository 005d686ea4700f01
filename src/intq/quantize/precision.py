"""Automatic activation precision: widen the activations that the global grid would ruin.

Each calibrated activation's expected SQNR on the global ``act_bits`` grid comes from its
histogram (``calibration.precision.sqnr_db``; no extra pass over the data). Those below
``auto_precision.min_sqnr_db`` get ``wide_bits`` (16), the worst first, up to
``max_share`` of the activations that get a grid of their own. The choice becomes ordinary ``per_layer`` act_bits
of the producing nodes, so lowering, the overflow proof, the runtime and the export treat a
widened tensor exactly like a user-configured one; nodes the user configured are left alone.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from intq.calibration.observer import Observer
from intq.calibration.precision import sqnr_db
from intq.ir.graph import Graph, Node
from intq.passes.matching import Uses
from intq.quantize.config import LayerConfig, QuantConfig
from intq.quantize.rules.movement import DATA_MOVEMENT

FUSED_INTO = frozenset({"Relu", "Clip", "Mul", "Add"})
"""Readers that a producer's rescale usually absorbs (a clamp, a constant scale or bias)."""
KEEPS_GRID = frozenset(DATA_MOVEMENT) - FUSED_INTO
"""Ops whose integer output keeps its input's grid (a Relu does too, unless it is fused, and
then its output is the one with a grid)."""


@dataclass(frozen=True)
class WidenedTensor:
    """One activation given wide bits, and why: its SQNR at the global width."""

    tensor: str
    node: str
    bits: int
    sqnr_db: float

    def to_dict(self) -> dict[str, object]:
        return {"tensor": self.tensor, "node": self.node, "bits": self.bits,
                "sqnr_db": round(self.sqnr_db, 2)}


def choose_precision(graph: Graph, observers: Mapping[str, Observer], config: QuantConfig
                     ) -> tuple[QuantConfig, list[WidenedTensor]]:
    """``config`` with the widened activations added to ``per_layer``, and the record."""
    auto = config.auto_precision
    if not auto.enabled or auto.wide_bits <= config.act_bits:
        return config, []
    candidates = _candidates(graph, observers, config)
    budget = math.floor(auto.max_share * len(candidates))
    poor = sorted((db, tensor, node) for tensor, node, db in candidates if db < auto.min_sqnr_db)
    chosen = [WidenedTensor(tensor, node, auto.wide_bits, db)
              for db, tensor, node in poor[:budget]]
    return _with_bits(config, chosen), chosen


def _candidates(graph: Graph, observers: Mapping[str, Observer], config: QuantConfig
                ) -> list[tuple[str, str, float]]:
    """``(tensor, producing node, SQNR dB)`` of each observed node output that gets a grid of
    its own and whose node has no user-set act_bits. Skipping the others matters for speed:
    the SQNR needs the tensor's threshold search, which lowering reuses only for tensors it
    quantizes."""
    uses = Uses(graph)
    found = []
    for node in graph.nodes:
        layer = config.per_layer.get(node.name)
        if layer is not None and layer.act_bits:
            continue
        for tensor in node.outputs:
            observer = observers.get(tensor)
            if observer is not None and observer.count and _own_grid(graph, uses, node, tensor):
                found.append((tensor, node.name, sqnr_db(observer, config.act_bits)))
    return found


def _own_grid(graph: Graph, uses: Uses, node: Node, tensor: str) -> bool:
    """Whether lowering gives ``tensor`` its own calibrated grid: data movement keeps its
    input's, and a tensor read only by a Relu/Clip or a Mul/Add with a constant is usually
    fused into that reader's rescale (its grid is the reader's output's)."""
    if node.op in KEEPS_GRID:
        return False
    readers = uses.users(tensor)
    if tensor in graph.outputs or len(readers) != 1 or readers[0].op not in FUSED_INTO:
        return True
    reader = readers[0]
    return reader.op in ("Mul", "Add") and not any(i in graph.constants for i in reader.inputs)


def _with_bits(config: QuantConfig, chosen: list[WidenedTensor]) -> QuantConfig:
    if not chosen:
        return config
    per_layer = dict(config.per_layer)
    for choice in chosen:
        layer = per_layer.get(choice.node, LayerConfig())
        per_layer[choice.node] = dataclasses.replace(layer, act_bits=choice.bits)
    return dataclasses.replace(config, per_layer=per_layer)
