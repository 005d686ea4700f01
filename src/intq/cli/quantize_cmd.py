"""``intq quantize CONFIG.toml``: the staged pipeline driven by a config file (MRT's main2)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from intq.pipeline import STAGES, load_config, run_pipeline
from intq.pipeline.report import format_metric, summary_lines


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quantize", help="quantize a model as a TOML config describes",
        description="Run prepare → split → calibrate → quantize → merge → evaluate → compile "
                    "as CONFIG.toml describes; the output dir gets model.intq, report.json, "
                    "report.md, plots/ and a checkpoint per stage.")
    p.add_argument("config", help="the run's TOML config (see configs/ for examples)")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="SECTION.KEY=VALUE",
                   help="override a config value (a TOML literal, else a string); repeatable")
    p.add_argument("--start", choices=list(STAGES), default="prepare",
                   help="resume at this stage from the checkpoints of the earlier ones")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, args.overrides)
    log = None if args.quiet else (lambda line: print(f"intq: {line}", file=sys.stderr))
    report = run_pipeline(config, start=args.start, progress=not args.quiet, log=log)
    print(summary(report, config.out_dir))
    return 0


def summary(report: dict[str, Any], out_dir: Any) -> str:
    """What the run produced and how it scores, for the terminal."""
    files = report["files"]
    written = [files["model"], *files["report"], *files.get("plots", {}).values()]
    if "onnx" in files:
        written.append(files["onnx"])
    lines = [f"wrote {', '.join(written)} to {out_dir}"]
    if report["metrics"]:
        lines.append(f"{'metric':<24}{'float':>12}{'quantized':>12}")
        lines += [f"{name:<24}{format_metric(name, v['float']):>12}"
                  f"{format_metric(name, v['quantized']):>12}"
                  for name, v in report["metrics"].items()]
    lines += summary_lines(report)
    return "\n".join(lines)

