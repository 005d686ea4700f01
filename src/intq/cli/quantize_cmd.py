"""``intq quantize``: the staged pipeline (MRT's main2), from a TOML config or, for the common
case, straight from an ONNX model and a calibration file.

``intq quantize model.onnx --calib data.npy`` runs the same stages as a config with only
``[model] path``, ``[data] source`` and ``[output]`` would: the model goes to ``-o`` (default:
beside the ONNX file, ``model.intq``), the report, plots and checkpoints to a folder beside
it (``model_intq/``). ``--set`` overrides any config key in both forms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from intq.cli.arrays import first_nonfinite, npy_header, read_npz
from intq.cli.file_kind import ONNX, TOML, advice, sniff
from intq.cli.help_format import ExamplesFormatter
from intq.errors import InputError, IntqError
from intq.pipeline import STAGES, load_config, run_pipeline
from intq.pipeline.config import PipelineConfig, config_from_tables
from intq.pipeline.report import METRIC_NOTES, format_metric, summary_lines

EXAMPLES = """examples:
  intq quantize model.onnx --calib data.npy                 writes model.intq + model_intq/
  intq quantize model.onnx --calib inputs.npz -o out.intq   .npz: one array per input name
  intq quantize model.onnx --calib data.npy --set quantize.weight_bits=4
  intq quantize configs/lenet_digits.toml                   the pipeline a config describes
  intq quantize configs/lenet_digits.toml --set quantize.weight_bits=4 --start quantize"""


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]
               ) -> None:
    p = sub.add_parser(
        "quantize", help="quantize an ONNX model with calibration data, or as a TOML config "
                         "describes", parents=parents, epilog=EXAMPLES,
        formatter_class=ExamplesFormatter,
        description="Run prepare → split → calibrate → quantize → merge → evaluate → compile; "
                    "the output dir gets model.intq, report.json, report.md, plots/ and a "
                    "checkpoint per stage.")
    p.add_argument("source", metavar="MODEL.onnx|CONFIG.toml",
                   help="an ONNX model (with --calib) or the run's TOML config (see configs/)")
    p.add_argument("--calib", metavar="DATA.npy|DATA.npz",
                   help="ONNX form: calibration inputs, samples on axis 0 (.npz: one array per "
                        "input name)")
    p.add_argument("-o", "--output", metavar="OUT.intq",
                   help="ONNX form: the model file to write (default: beside the ONNX file); "
                        "the report goes to OUT_intq/ beside it")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="SECTION.KEY=VALUE",
                   help="override a config value (a TOML literal, else a string); repeatable")
    p.add_argument("--start", choices=list(STAGES), default="prepare",
                   help="resume at this stage from the checkpoints of the earlier ones")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = _config(args)
    log = None if args.quiet else (lambda line: print(f"intq: {line}", file=sys.stderr))
    report = run_pipeline(config, start=args.start, progress=not args.quiet, log=log)
    print(summary(report, config.out_dir))
    return 0


def _config(args: argparse.Namespace) -> PipelineConfig:
    source = Path(args.source)
    if not source.is_file():
        raise IntqError(f"'{source}' does not exist; give an ONNX model with --calib, or a "
                        "TOML config")
    kind = TOML if source.suffix == ".toml" else sniff(source)
    if kind is TOML:
        if args.calib or args.output:
            raise IntqError(f"--calib and -o are for an ONNX model; with config '{source}' set "
                            "data.source and output.dir in it (or with --set)")
        return load_config(source, args.overrides)
    if kind is not ONNX:
        raise IntqError(f"'{source}' is {kind.text}, not an ONNX model or a TOML config; "
                        + advice(kind, source, "give model.onnx --calib data.npy"))
    if not args.calib:
        raise IntqError(f"quantizing ONNX model '{source}' needs calibration data: "
                        f"intq quantize {source} --calib data.npy")
    calib = Path(args.calib)
    check_calibration(calib)
    model_path = Path(args.output) if args.output else source.with_suffix(".intq")
    if model_path.suffix != ".intq":
        raise IntqError(f"-o '{model_path}' needs the .intq suffix")
    tables = {"model": {"path": str(source.resolve())},
              "data": {"source": str(calib.resolve())},
              "output": {"dir": str(model_path.resolve().with_name(f"{model_path.stem}_intq")),
                         "model": str(model_path.resolve())}}
    return config_from_tables(tables, Path.cwd(), args.overrides)


def check_calibration(path: Path) -> None:
    """A calibration file that would fail (or poison the ranges) deep in calibration is
    refused first: corrupt, pickled, empty, or holding NaN/Inf."""
    if path.suffix == ".npz":
        arrays = read_npz(path, "calibration data")
    else:
        npy_header(path, "calibration data")
        import numpy as np

        arrays = {"": np.load(path, mmap_mode="r", allow_pickle=False)}
    for name, array in arrays.items():
        label = f"calibration data '{path}'" + (f" array '{name}'" if name else "")
        if array.ndim == 0 or len(array) == 0:
            raise InputError(f"{label} has no samples (shape {tuple(array.shape)}); give "
                             "samples on axis 0")
        bad = first_nonfinite(array)
        if bad is not None:
            raise InputError(f"{label} has {bad[1]} at index {bad[0]}; give finite values")


def summary(report: dict[str, Any], out_dir: Any) -> str:
    """What the run produced and how it scores, for the terminal."""
    files = report["files"]
    others = [*files["report"], *files.get("plots", {}).values()]
    if "onnx" in files:
        others.append(files["onnx"])
    lines = [f"wrote {Path(out_dir) / files['model']}; {', '.join(others)} in {out_dir}"]
    if "plots_missing" in files:
        lines.append(files["plots_missing"])
    if report["metrics"]:
        lines.append(f"{'metric':<24}{'float':>12}{'quantized':>12}")
        lines += [f"{name:<24}{format_metric(name, v['float']):>12}"
                  f"{format_metric(name, v['quantized']):>12}"
                  for name, v in report["metrics"].items()]
        lines += [f"{name}: {METRIC_NOTES[name]}" for name in report["metrics"]
                  if name in METRIC_NOTES]
    lines += summary_lines(report)
    return "\n".join(lines)
