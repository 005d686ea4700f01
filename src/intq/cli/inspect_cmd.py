"""``intq inspect MODEL``: what is in a model and what intq can do with it."""

from __future__ import annotations

import argparse
from pathlib import Path

from intq.cli.file_kind import INTQ, ONNX, require
from intq.cli.help_format import ExamplesFormatter
from intq.errors import IntqError, UnsupportedOpError
from intq.ir.graph import Graph
from intq.ops.onnx_island import CUT_ADVICE, ISLAND_OP
from intq.pipeline.precision import (accumulator_bits, exact_parts, is_quantized, model_sizes,
                                     parameter_count, precision_table)
from intq.runtime.cost import graph_cost


EXAMPLES = """examples:
  intq inspect model.onnx          ops, parameters, unsupported ops, cost
  intq inspect model.intq          also exactness, float nodes, proven bit widths
  intq inspect model.intq --graph  also the whole graph"""


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    p = sub.add_parser("inspect", help="summarize an ONNX or intq model", parents=parents,
                       epilog=EXAMPLES, formatter_class=ExamplesFormatter,
                       description="Print ops, parameter count, inputs/outputs and unsupported "
                                   "ops of an ONNX model or a saved intq graph with its cost per "
                                   "sample (gas, MACs, BOPS, memory); for a quantized model also "
                                   "its size, exact and float parts and the precision and "
                                   "proven bound of every integer tensor.")
    p.add_argument("model", help="path to a .onnx model or a saved intq file")
    p.add_argument("--graph", action="store_true", help="also print the whole graph")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.model)
    if not path.is_file():
        raise IntqError(f"model file '{path}' does not exist")
    kind = require(path, (ONNX, INTQ), "give an ONNX model or a .intq model")
    if kind is ONNX:
        from intq.frontends.onnx_import import import_onnx, unsupported_nodes

        try:
            graph = import_onnx(path)
        except UnsupportedOpError:
            _print_unsupported(path, unsupported_nodes(path))
            return 2
    else:
        from intq.runtime.verify import load_verified

        graph, _ = load_verified(path)
    print(summarize(graph, str(path)))
    if args.graph:
        print()
        print(graph)
    return 0


def summarize(graph: Graph, source: str) -> str:
    lines = [f"model: {source}", f"graph: {graph.name}"]
    for key in ("producer", "opset"):
        if key in graph.meta:
            lines.append(f"{key}: {graph.meta[key]}")
    if is_quantized(graph):
        lines += _quantized_lines(graph)
    else:
        params = graph.param_count()
        param_bytes = sum(a.nbytes for a in graph.constants.values() if a.dtype.kind == "f")
        lines.append(f"parameters: {params:,} ({param_bytes / 1024:.1f} KiB as float)")
    lines += cost_lines(graph)
    lines.append("inputs:")
    lines += [f"  {n}: {graph.values[n].type_str()}" for n in graph.inputs]
    lines.append("outputs:")
    lines += [f"  {n}: {graph.values[n].type_str()}" for n in graph.outputs]
    lines.append(f"ops ({len(graph.nodes)} nodes):")
    lines += [f"  {op:<24}{count:>6}" for op, count in graph.op_histogram().items()]
    lines.append("unsupported ops: none")
    lines += _island_lines(graph)
    if is_quantized(graph):
        lines += _precision_lines(graph)
    return "\n".join(lines)


def _quantized_lines(graph: Graph) -> list[str]:
    """Size, exactness and accumulator width of a quantized model."""
    size = model_sizes(graph)
    parts = exact_parts(graph)
    lines = [f"parameters: {parameter_count(graph):,} ({size['float'] / 1024:.1f} KiB as float, "
             f"{size['integer'] / 1024:.1f} KiB as integers)"]
    if parts["exact"]:
        lines.append(f"exact: yes, integer-only between input Quantize and output Dequantize "
                     f"({parts['integer_nodes']} integer nodes)")
    else:
        lines.append(f"exact: no, {len(parts['float_nodes'])} node(s) in float, outside the "
                     "exactness guarantee:")
        lines += [f"  {name:<40}{reason}" for name, reason in parts["float_nodes"].items()]
    lines.append(f"widest accumulator: {accumulator_bits(precision_table(graph))} bits (proven)")
    return lines


def cost_lines(graph: Graph) -> list[str]:
    """The cost of one sample (docs/COST.md), or why it cannot be counted."""
    try:
        cost = graph_cost(graph)
    except IntqError as exc:
        return [f"cost: unavailable ({exc})"]
    macs = " + ".join(f"{count:,} {kind}" for count, kind in
                      ((cost.int_macs, "integer"), (cost.float_macs, "float")) if count)
    floats = f"{cost.float_nodes} node(s) kept in float" if is_quantized(graph) else ""
    rows = [("gas", cost.gas, "8-bit operation equivalents"),
            ("BOPS", cost.bops, "MACs x operand bits"),
            ("MACs", cost.int_macs + cost.float_macs, macs),
            ("integer ops", cost.int_ops, "besides MACs"),
            ("float FLOPs", cost.float_flops, floats),
            ("edge FLOPs", cost.edge_flops, "Quantize/Dequantize"),
            ("parameters", cost.param_bytes, "bytes as stored"),
            ("peak activations", cost.peak_activation_bytes,
             f"bytes, while {cost.peak_node} runs" if cost.peak_node else "bytes")]
    return (["cost per sample (batch 1, see docs/COST.md):"]
            + [f"  {name:<20}{value:>16,}  {note}".rstrip() for name, value, note in rows])


def _precision_lines(graph: Graph) -> list[str]:
    rows = precision_table(graph)
    width = max([len("tensor"), *(len(row.tensor) for row in rows)]) + 2
    lines = [f"precision ({len(rows)} integer tensors; bound = proven max |q|):",
             f"  {'tensor':<{width}}{'kind':<13}{'bits':<6}{'scale':<18}{'bound':>12}"]
    lines += [f"  {row.tensor:<{width}}{row.kind:<13}{row.precision:<6}{row.scale_text:<18}"
              f"{row.bound if row.bound is not None else '-':>12}" for row in rows]
    return lines


def _island_lines(graph: Graph) -> list[str]:
    """The nodes ONNX Runtime runs (float in every quantized model), with why."""
    islands = [n for n in graph.nodes if n.op == ISLAND_OP]
    if not islands:
        return []
    count = f"{len(islands)} node{'s' * (len(islands) != 1)}"
    lines = [f"ONNX Runtime islands ({count}, float; need onnxruntime):"]
    lines += [f"  {n.name:<32}{n.attrs['op_type']:<20}{n.attrs['reason']}" for n in islands]
    return lines


def _print_unsupported(path: Path, nodes: list[tuple[str, str]]) -> None:
    print(f"model: {path}")
    print(f"unsupported ops ({len(nodes)} nodes): {CUT_ADVICE}")
    for op_type, name in nodes:
        print(f"  {op_type:<24}{name}")
