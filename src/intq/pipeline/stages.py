"""MRT's seven stages, each a function of the run that writes its checkpoint and returns its
record data (JSON). A stage reads what earlier stages left through ``Run``, from memory when
they ran in this process, else from their checkpoints.

- prepare: load the model, pin input shapes, run the preparation passes.
- split: check the node and tensor names the config uses and fix the float part (restored
  ops and nodes, everything past a split tensor); the rest is the integer base.
- calibrate: observe every float activation on the calibration data.
- quantize: lower the prepared graph to integer ops with the calibrated ranges.
- merge: the integer base and the float part form one graph; fit accumulators to their proven
  widths and prove the merged graph can never overflow.
- evaluate: float vs integer on the evaluation data (metrics, per-layer error).
- compile: write the deployable model.intq (and model.onnx if asked), the report and plots.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from intq.calibration.calibrate import calibrate
from intq.calibration.observer import Observer
from intq.ir.graph import Graph
from intq.ir.serialize import write_atomic
from intq.pipeline.checkpoints import Checkpoints, write_json, write_text
from intq.pipeline.config import PipelineConfig
from intq.pipeline.evaluate import evaluate
from intq.pipeline.precision import accumulator_bits, exact_parts, precision_table
from intq.pipeline.report import build_report, render_markdown
from intq.pipeline.sources import calibration_data, evaluation_set, load_model
from intq.quantize.api import prepared_graph
from intq.quantize.float_region import check_names, float_nodes
from intq.quantize.lower import lower
from intq.quantize.model import QuantizedModel, load
from intq.runtime.overflow import fit_accumulators

PREPARED, QUANTIZED, MERGED = "prepared.intq", "quantized.intq", "merged.intq"
"""Checkpoint files: the prepared float graph, the lowered graph, the proven model."""
MODEL_FILE = "model.intq"
ONNX_FILE = "model.onnx"
REPORT_JSON, REPORT_MD = "report.json", "report.md"
SQNR_PLOT, CLIPPING_PLOT = "plots/sqnr.png", "plots/clipping.png"
PLOTS_MISSING = "plots skipped: matplotlib is not installed (pip install 'intq[report]')"


class Run:
    """One pipeline run: the config, the checkpoints, and what this process already holds."""

    def __init__(self, config: PipelineConfig, checkpoints: Checkpoints, progress: bool) -> None:
        self.config = config
        self.checkpoints = checkpoints
        self.progress = progress
        self.records: dict[str, dict[str, Any]] = {}
        self.report: dict[str, Any] = {}
        self._held: dict[str, Any] = {}

    def hold(self, key: str, value: Any) -> Any:
        self._held[key] = value
        return value

    def prepared(self) -> Graph:
        if PREPARED not in self._held:
            self.hold(PREPARED, self.checkpoints.load_graph(PREPARED, "prepare"))
        return self._held[PREPARED]

    def observers(self) -> dict[str, Observer]:
        """Calibration states read with the configured method."""
        method = self.config.quantize.calibration.observer_config()
        return self.checkpoints.load_observers(method)

    def quantized(self) -> Graph:
        if QUANTIZED not in self._held:
            self.hold(QUANTIZED, self.checkpoints.load_graph(QUANTIZED, "quantize"))
        return self._held[QUANTIZED]

    def model(self) -> QuantizedModel:
        if MERGED not in self._held:
            self.hold(MERGED, load(self.checkpoints.dir / MERGED))
        return self._held[MERGED]


def prepare_stage(run: Run) -> dict[str, Any]:
    config = run.config
    model = load_model(config.model, config.base_dir)
    unsplit = dataclasses.replace(config.quantize, restore_ops=(), restore_nodes=(), split=(),
                                  per_layer={})
    graph = run.hold(PREPARED, prepared_graph(model, unsplit))
    run.checkpoints.save_graph(PREPARED, graph)
    return {"graph": graph.name, "nodes": len(graph.nodes),
            "inputs": {n: graph.values[n].type_str() for n in graph.inputs},
            "outputs": {n: graph.values[n].type_str() for n in graph.outputs}}


def split_stage(run: Run) -> dict[str, Any]:
    graph = run.prepared()
    check_names(graph, run.config.quantize)
    floating = float_nodes(graph, run.config.quantize)
    return {"float_nodes": floating, "base_nodes": len(graph.nodes) - len(floating)}


def calibrate_stage(run: Run) -> dict[str, Any]:
    config = run.config
    graph = run.prepared()
    batch_size = config.quantize.calibration.batch_size
    data = calibration_data(config.data, graph.inputs, config.base_dir, batch_size)
    observers = calibrate(graph, data, method=config.quantize.calibration.observer_config(),
                          progress=run.progress, batch_size=batch_size)
    run.checkpoints.save_observers(observers)
    return {"tensors": len(observers)}


def quantize_stage(run: Run) -> dict[str, Any]:
    graph = run.hold(QUANTIZED, lower(run.prepared(), run.observers(), run.config.quantize))
    run.checkpoints.save_graph(QUANTIZED, graph)
    return {"nodes": len(graph.nodes)}


def merge_stage(run: Run) -> dict[str, Any]:
    graph = run.quantized().copy()
    fit_accumulators(graph)
    model = run.hold(MERGED, QuantizedModel(graph))
    model.save(run.checkpoints.dir / MERGED)
    return {**exact_parts(graph), "accumulator_bits": accumulator_bits(precision_table(graph))}


def evaluate_stage(run: Run) -> dict[str, Any]:
    config = run.config
    graph = run.prepared()
    evalset = evaluation_set(config.evaluate, config.data, graph.inputs, config.base_dir)
    return evaluate(graph, run.model(), evalset, config.evaluate, config.base_dir,
                    run.progress)


def compile_stage(run: Run) -> dict[str, Any]:
    """The model is written first, so nothing that fails after it (ONNX conversion, plots,
    the report) costs the user the model; the other files are made in memory, then written.
    Without matplotlib the report has no plots and says how to get them."""
    config = run.config
    model = run.model()
    model_path = model_file(config)
    model.save(model_path)
    files: dict[str, Any] = {"model": _relative(model_path, config.out_dir),
                             "report": [REPORT_JSON, REPORT_MD]}
    blobs: dict[str, bytes] = {}
    if config.output.onnx:
        from intq.export import to_onnx

        blobs[ONNX_FILE] = to_onnx(model.graph, format=config.output.onnx).SerializeToString()
        files["onnx"] = ONNX_FILE
    if config.output.plots:
        if _has_matplotlib():
            plots = _plots(run, run.records["evaluate"]["data"]["layers"])
            blobs.update(plots)
            files["plots"] = {Path(name).stem: name for name in plots}
        else:
            files["plots_missing"] = PLOTS_MISSING
    report = build_report(config, model.graph, run.records, files, float_graph=run.prepared())
    markdown = render_markdown(report)
    for name, data in blobs.items():
        write_atomic(config.out_dir / name, data)
    write_json(config.out_dir / REPORT_JSON, report)
    write_text(config.out_dir / REPORT_MD, markdown)
    run.report = report
    return {"files": files}


def model_file(config: PipelineConfig) -> Path:
    """Where the run writes the quantized model: ``output.model``, else ``dir/model.intq``."""
    return Path(config.output.model) if config.output.model else config.out_dir / MODEL_FILE


def _relative(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _plots(run: Run, layers: list[dict[str, Any]]) -> dict[str, bytes]:
    """PNG bytes by output path: per-layer SQNR, and the worst layers' clipping."""
    from intq.pipeline.plots import clipping_histograms, sqnr_chart

    plots = {SQNR_PLOT: sqnr_chart(layers)}
    observers = run.observers()
    worst = _worst(layers, observers, run.config.output.worst_layers)
    if worst:
        plots[CLIPPING_PLOT] = clipping_histograms(worst, observers)
    return plots


def _worst(layers: list[dict[str, Any]], observers: dict[str, Observer], count: int
           ) -> list[dict[str, Any]]:
    """The integer layers with the lowest SQNR, one per distinct histogram and grid (a
    Flatten after a MaxPool would only repeat it)."""
    seen, worst = set(), []
    ranked = sorted((row for row in layers if row["integer"] and row["sqnr_db"] is not None
                     and row["tensor"] in observers), key=lambda row: row["sqnr_db"])
    for row in ranked:
        observer = observers[row["tensor"]]
        key = (row["scale"], observer.count, observer.max_abs)
        if key not in seen and len(worst) < count:
            seen.add(key)
            worst.append(row)
    return worst


STAGES: dict[str, Callable[[Run], dict[str, Any]]] = {
    "prepare": prepare_stage, "split": split_stage, "calibrate": calibrate_stage,
    "quantize": quantize_stage, "merge": merge_stage, "evaluate": evaluate_stage,
    "compile": compile_stage,
}
