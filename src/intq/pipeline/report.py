"""The run's report: ``report.json`` (everything, as data) and ``report.md`` (for people).

It answers what a user of a quantized model asks: how much accuracy moved, which part of the
model is exact and which is float, where the error comes from (per-layer SQNR and cosine),
what precision every tensor has and what the overflow proof guarantees, how much smaller the
model is, what a sample costs to run (gas, MACs, BOPS, memory; docs/COST.md) against the float
model, and how long each stage took.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from intq.errors import IntqError
from intq.ir.graph import Graph
from intq.pipeline.config import BUILTIN_METRICS, PipelineConfig
from intq.pipeline.precision import (accumulator_bits, exact_parts, model_sizes,
                                     parameter_count, precision_table)
from intq.runtime.cost import graph_cost

PERCENT_METRICS = BUILTIN_METRICS
METRIC_NOTES = {"agreement": "percent of predictions where the quantized model's top-1 class "
                             "equals the float model's, the class being the argmax over the "
                             "last axis of the first output (one prediction per sample, or per "
                             "position for sequence outputs)"}


def build_report(config: PipelineConfig, graph: Graph, records: Mapping[str, Mapping[str, Any]],
                 files: Mapping[str, Any], float_graph: Graph | None = None) -> dict[str, Any]:
    """The report data from the quantized ``graph``, the stage records and (for the cost
    comparison) the prepared ``float_graph``."""
    from intq import __version__

    evaluation = records["evaluate"]["data"]
    rows = precision_table(graph)
    return {
        "intq_version": __version__,
        "model": {"name": graph.name, "source": config.model.path},
        **exact_parts(graph),
        "batch_invariant": evaluation["batch_invariant"],
        "metrics": evaluation["metrics"],
        "evaluation": {k: evaluation[k] for k in ("samples", "labelled", "layer_samples")},
        "size_bytes": model_sizes(graph),
        "parameters": parameter_count(graph),
        "accumulator_bits": accumulator_bits(rows),
        "layers": evaluation["layers"],
        "precision": [dataclasses.asdict(row) for row in rows],
        "widened": list(graph.meta.get("quantization", {}).get("widened", [])),
        "bias_adjustments": graph.meta.get("quantization", {}).get("bias_adjustments", []),
        "cost": cost_section(graph, float_graph),
        "stages": {stage: round(record["seconds"], 3) for stage, record in records.items()},
        "files": dict(files),
        "config": config.to_dict(),
    }


def render_markdown(report: Mapping[str, Any]) -> str:
    """``report.md``: the same facts as ``report.json``, as tables and plots."""
    config = report["config"]["quantize"]
    lines = [f"# intq report: {report['model']['name']}", "",
             f"Model `{report['model']['source']}`, weights {config['weight_bits']}-bit, "
             f"activations {config['act_bits']}-bit, calibration "
             f"`{config['calibration']['method']}`; evaluated on "
             f"{report['evaluation']['samples']} samples.", "",
             "## Result", ""]
    lines += _metrics_table(report["metrics"])
    lines += [f"\n{name}: {METRIC_NOTES[name]}." for name in report["metrics"]
              if name in METRIC_NOTES]
    lines += [""] + [f"- {line}" for line in summary_lines(report)]
    lines += ["", "## Per-layer error", "",
              f"On {report['evaluation']['layer_samples']} evaluation samples, each float tensor "
              "against the dequantized integer tensor at the same point: "
              "SQNR = 10·log10(Σf² / Σ(f − q̂)²), and the cosine similarity.", ""]
    plots = report["files"].get("plots", {})
    if "plots_missing" in report["files"]:
        lines += [f"({report['files']['plots_missing']})", ""]
    if "sqnr" in plots:
        lines += [f"![per-layer SQNR]({plots['sqnr']})", ""]
    lines += _layers_table(report["layers"])
    if "clipping" in plots:
        lines += ["", "## Clipping of the worst layers", "",
                  "Calibration histograms of |x| and the chosen clipping threshold "
                  "(scale × largest integer).", "", f"![clipping]({plots['clipping']})"]
    lines += ["", "## Precision", "",
              "Integer tensors with their declared precision and the bound the static "
              "overflow proof guarantees (max |q|).", ""]
    lines += _precision_table(report["precision"])
    if "widened" in report:
        lines += ["", "## Automatic precision", ""] + _widened_lines(report)
    if report.get("bias_adjustments"):
        lines += ["", "## Bias adjustments", ""] + _bias_table(report["bias_adjustments"])
    if "cost" in report:
        lines += ["", "## Cost", ""] + _cost_tables(report["cost"])
    lines += ["", "## Stages", "", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {stage} | {seconds:.2f} |" for stage, seconds in report["stages"].items()]
    return "\n".join(lines) + "\n"


def cost_section(graph: Graph, float_graph: Graph | None = None) -> dict[str, Any]:
    """Per-sample cost of the quantized graph (with every node) and of the float graph
    (totals), or why it could not be counted."""
    try:
        section = {"quantized": graph_cost(graph).to_dict()}
        if float_graph is not None:
            section["float"] = graph_cost(float_graph).to_dict(nodes=False)
    except IntqError as exc:
        return {"unavailable": str(exc)}
    return section


def summary_lines(report: Mapping[str, Any]) -> list[str]:
    """Exactness, batch invariance, size, accumulator width and cost, one sentence each."""
    floats = report["float_nodes"]
    if report["exact"]:
        exact = (f"Exact: integer-only between input quantization and output dequantization "
                 f"({report['integer_nodes']} integer nodes).")
    else:
        listed = ", ".join(f"`{name}` ({reason})" for name, reason in floats.items())
        exact = (f"Partly float: {len(floats)} node(s) run in float, outside the exactness "
                 f"guarantee: {listed}.")
    invariant = ("Batch-invariant: each sample's output is bit-identical alone and in a batch."
                 if report["batch_invariant"] else
                 "NOT batch-invariant: a sample's output changed with its batch.")
    size = report["size_bytes"]
    ratio = size["float"] / size["integer"] if size["integer"] else 0.0
    lines = [exact, invariant,
             f"Size: {_kib(size['float'])} as float32, {_kib(size['integer'])} as integers "
             f"({ratio:.1f}× smaller); {report['parameters']:,} parameters.",
             f"Widest accumulator: {report['accumulator_bits']} bits, proven by the static "
             "overflow proof."]
    cost = report.get("cost", {})
    if "quantized" in cost:
        quantized = cost["quantized"]
        line = (f"Cost per sample: {quantized['gas']:,} gas, "
                f"{quantized['int_macs'] + quantized['float_macs']:,} MACs, "
                f"{quantized['bops']:,} BOPS")
        if "float" in cost and quantized["gas"]:
            line += f" ({cost['float']['gas'] / quantized['gas']:.1f}× less gas than float)"
        lines.append(line + ".")
    return lines


def format_metric(name: str, value: float) -> str:
    return f"{value:.2f} %" if name in PERCENT_METRICS else f"{value:.4g}"


def _metrics_table(metrics: Mapping[str, Mapping[str, float]]) -> list[str]:
    if not metrics:
        return ["No metrics configured ([evaluate] metrics)."]
    lines = ["| metric | float | quantized | change |", "|---|---:|---:|---:|"]
    for name, values in metrics.items():
        change = values["quantized"] - values["float"]
        change_text = f"{change:+.2f}" if name in PERCENT_METRICS else f"{change:+.4g}"
        lines.append(f"| {name} | {format_metric(name, values['float'])} | "
                     f"{format_metric(name, values['quantized'])} | {change_text} |")
    return lines


def _layers_table(layers: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| tensor | op | precision | SQNR (dB) | cosine |", "|---|---|---|---:|---:|"]
    for row in layers:
        precision = (f"{'i' if row['signed'] else 'u'}{row['bits']}" if row["integer"]
                     else "float")
        sqnr = "∞" if row["sqnr_db"] is None else f"{row['sqnr_db']:.1f}"
        lines.append(f"| `{_cell(row['tensor'])}` | {row['op']} | {precision} | {sqnr} | "
                     f"{row['cosine']:.5f} |")
    return lines


def _precision_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["| tensor | kind | precision | scale | proven max \\|q\\| | proven bits |",
             "|---|---|---|---|---:|---:|"]
    for row in rows:
        scale = row["scale"]
        scale = (f"per-channel [{len(scale)}]" if isinstance(scale, list)
                 else "-" if scale is None else f"{scale:.4g}")
        lines.append(f"| `{_cell(row['tensor'])}` | {row['kind']} | "
                     f"{'i' if row['signed'] else 'u'}{row['bits']} | {scale} | "
                     f"{row['bound']} | {row['proven_bits']} |")
    return lines


def _widened_lines(report: Mapping[str, Any]) -> list[str]:
    auto = report["config"]["quantize"]["auto_precision"]
    if not auto["enabled"]:
        return ["Off (`auto_precision.enabled = false`): every activation has the global "
                "width or its per-layer one."]
    rule = (f"Activations whose typical-value SQNR at {report['config']['quantize']['act_bits']} "
            f"bits (E[|x|]² over the expected rounding and clipping noise, from the "
            f"calibration histogram) is below {auto['min_sqnr_db']:g} dB get "
            f"{auto['wide_bits']} bits, worst first, for at most {auto['max_share']:.0%} of "
            "the activations with a grid of their own.")
    if not report["widened"]:
        return [rule, "", "No activation needed it."]
    lines = [rule, "", "| tensor | node | bits | SQNR at the global width (dB) |",
             "|---|---|---:|---:|"]
    lines += [f"| `{_cell(w['tensor'])}` | `{_cell(w['node'])}` | {w['bits']} | "
              f"{w['sqnr_db']:.1f} |" for w in report["widened"]]
    return lines


def _bias_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Channels whose weight scale was raised so their bias fits int32, and what it cost."""
    lines = [f"{len(rows)} channel(s) had a bias too large for int32 at x_scale × w_scale "
             "(typically a folded BatchNorm with near-zero weights); their weight scale was "
             "raised by the least factor that fits, coarsening their weights:", "",
             "| node | op | channel | factor | weight SQNR before (dB) | after (dB) |",
             "|---|---|---:|---:|---:|---:|"]
    for row in rows:
        channel = "all (per-tensor)" if row["channel"] is None else row["channel"]
        before, after = (_db(row[key]) for key in ("weight_sqnr_before_db",
                                                    "weight_sqnr_after_db"))
        lines.append(f"| `{_cell(row['node'])}` | {row['op']} | {channel} | "
                     f"{row['factor']:.4g} | {before} | {after} |")
    return lines


def _db(value: float | None) -> str:
    return "∞" if value is None else f"{value:.1f}"


COST_ROWS = (("gas", lambda c: c["gas"]),
             ("BOPS (MACs × operand bits)", lambda c: c["bops"]),
             ("MACs", lambda c: c["int_macs"] + c["float_macs"]),
             ("integer MACs", lambda c: c["int_macs"]),
             ("integer ops besides MACs", lambda c: c["int_ops"]),
             ("float FLOPs", lambda c: c["float_flops"]),
             ("edge FLOPs (Quantize/Dequantize)", lambda c: c["edge_flops"]),
             ("parameter bytes (as stored)", lambda c: c["param_bytes"]),
             ("peak activation bytes", lambda c: c["peak_activation_bytes"]))
TOP_NODES = 5


def _cost_tables(cost: Mapping[str, Any]) -> list[str]:
    if "unavailable" in cost:
        return [f"Not counted: {cost['unavailable']}"]
    quantized = cost["quantized"]
    models = [("float", cost["float"])] if "float" in cost else []
    models.append(("quantized", quantized))
    lines = ["Per sample (batch 1), counted from the graph as docs/COST.md defines: gas weighs "
             "every operation by its operand width (an 8-bit integer operation is 1 gas, an "
             "8×8-bit MAC 1, a float32 MAC 16).", "",
             "| figure | " + " | ".join(name for name, _ in models) + " |",
             "|---|" + "---:|" * len(models)]
    lines += [f"| {label} | " + " | ".join(f"{value(c):,}" for _, c in models) + " |"
              for label, value in COST_ROWS]
    total = quantized["gas"] or 1
    top = sorted(quantized["nodes"], key=lambda n: -n["gas"])[:TOP_NODES]
    lines += ["", f"The {len(top)} nodes with the most gas:", "",
              "| node | op | MACs | other ops | gas | share |", "|---|---|---:|---:|---:|---:|"]
    lines += [f"| `{_cell(n['node'])}` | {n['op']} | {n['macs']:,} | {n['ops']:,} | "
              f"{n['gas']:,} | {100 * n['gas'] / total:.1f} % |" for n in top]
    return lines


def _kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
