"""MRT's quantization stage: lower a prepared, calibrated float graph to its integer graph.

A visitor over the float graph in topological order: each node goes to the lowering rule of
its op type (``rules/``); a node that is restored, lies past a split, has no rule, or that its
rule declines, is copied in float between a Dequantize and a Quantize (``Lowering``'s two
forms). The result records which nodes are exact and which float in
``graph.meta["quantization"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intq.calibration.observer import Observer
from intq.ir.graph import Graph, Node
from intq.quantize.config import QuantConfig
from intq.quantize.context import Lowering
from intq.quantize.errors import QuantizeError, UnboundedError
from intq.quantize.float_region import float_nodes
from intq.quantize.precision import WidenedTensor, choose_precision
from intq.quantize.rules import rule_for

META_KEY = "quantization"
BOUNDARY_OPS = frozenset({"Quantize", "Dequantize"})


def lower(graph: Graph, observers: Mapping[str, Observer], config: QuantConfig) -> Graph:
    """The integer graph of ``graph`` (not modified) with the calibrated ``observers``;
    activations that the global width would ruin are widened first (``precision``)."""
    config, widened = choose_precision(graph, observers, config)
    restored = float_nodes(graph, config)
    ctx = Lowering(graph, observers, config, restored)
    for name in graph.inputs:
        value = graph.values[name]
        ctx.out.add_input(name, value.dtype, value.shape)
        if ctx.is_float(name):
            ctx.floats[name] = name
    for node in graph.nodes:
        if node.name in ctx.consumed:
            continue
        if node.name in restored:
            ctx.keep_float(node, restored[node.name])
        elif not _touches_floats(ctx, node):
            ctx.copy_plain(node)
        else:
            reason = _lower_node(ctx, node)
            if reason:
                ctx.keep_float(node, reason)
    _set_outputs(ctx)
    ctx.out.prune()
    ctx.out.meta = {**graph.meta, META_KEY: describe(ctx.out, ctx.float_nodes, config, widened,
                                                     list(ctx.bias_adjustments.values()))}
    return ctx.out


def describe(graph: Graph, float_reasons: Mapping[str, str], config: QuantConfig,
             widened: list[WidenedTensor] | None = None,
             bias_adjustments: list[dict] | None = None) -> dict[str, Any]:
    """The quantization record: exact (integer) nodes, float nodes with reasons, config (with
    the automatic widths in ``per_layer``), the automatically widened activations, and the
    weight scales raised so that a bias fits int32 (``rules.epilogue.fit_bias``)."""
    floating = {n.name: float_reasons[n.name] for n in graph.nodes if n.name in float_reasons}
    integer = [n.name for n in graph.nodes
               if n.name not in floating and n.op not in BOUNDARY_OPS]
    return {"exact": not floating, "integer_nodes": integer, "float_nodes": floating,
            "config": config.to_dict(),
            "widened": [w.to_dict() for w in widened or []],
            "bias_adjustments": list(bias_adjustments or [])}


def _lower_node(ctx: Lowering, node: Node) -> str | None:
    """Apply the node's rule; return why it stays float, or None once it is lowered.

    A rule whose integer ops cannot be bounded (the overflow proof would reject them) is taken
    back and the node stays float; a compile-time planning failure is an error naming it."""
    rule = rule_for(node.op)
    if rule is None:
        return f"no integer form for {node.op}"
    state = ctx.checkpoint()
    try:
        lowered = rule(ctx, node)
    except UnboundedError as exc:
        ctx.rollback(state)
        return f"integer form cannot be bounded ({exc})"
    except ValueError as exc:
        raise QuantizeError(f"node '{node.name}' ({node.op}) has no exact integer form here: "
                            f"{exc}; add it to restore_nodes") from None
    return None if lowered else f"no integer form for {node.op}"


def _touches_floats(ctx: Lowering, node: Node) -> bool:
    return any(ctx.is_float(v) for v in [*node.inputs, *node.outputs] if v)


def _set_outputs(ctx: Lowering) -> None:
    """Graph outputs keep their names: dequantized, raw integers, or float where computed in
    float."""
    for name in ctx.src.outputs:
        if not ctx.is_float(name):
            value = ctx.plain(name)
        elif (not ctx.config.output_dequantize and name in ctx.ints
              and not _computed_in_float(ctx, name)):
            value = ctx.ints[name]
        else:
            value = ctx.float_(name)
        if value != name:
            ctx.out.rename_value(value, name)
            _rename_forms(ctx, value, name)
        ctx.out.outputs.append(name)


def _computed_in_float(ctx: Lowering, name: str) -> bool:
    if name not in ctx.floats:
        return False
    producer = ctx.out.producer(ctx.floats[name])
    return producer is None or producer.op != "Dequantize"


def _rename_forms(ctx: Lowering, old: str, new: str) -> None:
    for forms in (ctx.ints, ctx.floats):
        for tensor, value in forms.items():
            if value == old:
                forms[tensor] = new
