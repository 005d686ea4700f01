"""Per-layer error: each float tensor against the integer tensor at the same point.

Both graphs run on the same samples with the executor's value hook. Tensors are matched by
name, the quantizer's convention: a tensor computed in float (restored, past a split) keeps
its name ``T``, and the integer form of ``T`` is ``T_q`` (a per-tensor grid, dequantized here
with its scale). Accumulators have no float
counterpart (a Relu or Clip after a conv is fused into its requantization, so the match is
at the Relu's output).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from intq.ir.graph import Graph, Node, QuantInfo
from intq.pipeline.metrics import TensorError
from intq.quant.qparams import dequantize
from intq.runtime.batching import batch_plan
from intq.runtime.executor import bind_inputs, execute


@dataclass(frozen=True)
class Match:
    """Float tensor ``tensor`` (made by ``node``, an ``op``) and its counterpart ``target`` in
    the quantized graph, with the grid to dequantize it (None: it is float)."""

    tensor: str
    node: str
    op: str
    target: str
    quant: QuantInfo | None


@dataclass(frozen=True)
class LayerError:
    tensor: str
    node: str
    op: str
    integer: bool
    bits: int | None
    signed: bool | None
    scale: float | None
    sqnr_db: float
    cosine: float


def match_tensors(float_graph: Graph, quantized: Graph) -> list[Match]:
    """Float activations of ``float_graph`` (graph order) with a counterpart in ``quantized``."""
    producers = float_graph.producers()
    quantized_producers = quantized.producers()
    names = list(float_graph.inputs) + [o for n in float_graph.nodes for o in n.outputs if o]
    matches = []
    for name in names:
        if np.dtype(float_graph.values[name].dtype).kind != "f":
            continue
        node = producers.get(name)
        match = _counterpart(quantized, name, quantized_producers)
        if match is not None:
            target, quant = match
            matches.append(Match(name, node.name if node else "(input)",
                                 node.op if node else "Input", target, quant))
    return matches


def layer_errors(float_graph: Graph, quantized: Graph, inputs: Sequence[np.ndarray],
                 batch_size: int, tick: Callable[[int], None] | None = None
                 ) -> list[LayerError]:
    """SQNR and cosine of every matched tensor over ``inputs`` (arrays, samples on axis 0)."""
    matches = match_tensors(float_graph, quantized)
    errors = {m.tensor: TensorError() for m in matches}
    wanted_float = {m.tensor for m in matches}
    wanted_int = {m.target for m in matches}
    for batch, real in batch_plan(float_graph, inputs).chunks(inputs, batch_size):
        floats = _values(float_graph, batch, wanted_float)
        ints = _values(quantized, batch, wanted_int)
        for m in matches:
            f, q = floats.get(m.tensor), ints.get(m.target)
            if f is None or q is None or f.shape != q.shape:
                continue
            errors[m.tensor].update(f, q if m.quant is None else dequantize(q, m.quant.scale))
        if tick is not None:
            tick(real)
    return [LayerError(m.tensor, m.node, m.op, m.quant is not None,
                       *((m.quant.bits, m.quant.signed, m.quant.scale) if m.quant else
                         (None, None, None)),
                       errors[m.tensor].sqnr_db, errors[m.tensor].cosine) for m in matches]


def _counterpart(quantized: Graph, name: str, producers: dict[str, Node]
                 ) -> tuple[str, QuantInfo | None] | None:
    """Where float tensor ``name`` is in the quantized graph: computed in float there (a
    restored or split node), else its integer form, else a dequantized copy."""
    value = quantized.values.get(name)
    is_float = (value is not None and value.quant is None and name not in quantized.inputs
                and name not in quantized.constants and np.dtype(value.dtype).kind == "f")
    producer = producers.get(name)
    if is_float and producer is not None and producer.op != "Dequantize":
        return name, None
    integer = quantized.values.get(f"{name}_q")
    if (integer is not None and integer.quant is not None and f"{name}_q" not in
            quantized.constants and isinstance(integer.quant.scale, float)):
        return integer.name, integer.quant
    return (name, None) if is_float else None


def _values(graph: Graph, batch: Sequence[np.ndarray], wanted: set[str]) -> dict[str, np.ndarray]:
    feeds = bind_inputs(graph, batch)
    seen = {name: array for name, array in feeds.items() if name in wanted}

    def keep(name: str, array: np.ndarray) -> None:
        if name in wanted:
            seen[name] = array

    execute(graph, feeds, on_value=keep, fast=True)
    return seen
