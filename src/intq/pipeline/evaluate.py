"""MRT's evaluation stage: the float and the integer model on the same samples, compared.

The integer model is the deployed graph itself (``QuantizedModel.run``), never a simulation.
Model metrics come from ``metrics``, per-layer error from ``layer_error``; a quick
batch-invariance check confirms a sample's output does not depend on its batch.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from intq.errors import InputError
from intq.ir.graph import Graph
from intq.pipeline.config import EvaluateConfig
from intq.pipeline.errors import DataError
from intq.pipeline.layer_error import layer_errors
from intq.pipeline.metrics import score
from intq.pipeline.sources import EvalSet
from intq.quantize.model import QuantizedModel
from intq.runtime.batching import batch_plan
from intq.runtime.executor import run

INVARIANCE_SAMPLES = 8


def evaluate(float_graph: Graph, model: QuantizedModel, evalset: EvalSet,
             config: EvaluateConfig, search_dir: Path, progress: bool = True) -> dict[str, Any]:
    """Metrics, per-layer error and batch invariance, as JSON data."""
    count = len(evalset)
    layer_count = min(config.layer_samples, count)
    with tqdm(total=count + layer_count, desc=f"evaluating {count} samples + per-layer error "
              f"on {layer_count}", unit="sample", file=sys.stderr, disable=not progress,
              leave=False) as bar:
        plan = batch_plan(float_graph, evalset.inputs)
        float_parts, int_parts = [], []
        for batch, real in plan.chunks(evalset.inputs, config.batch_size):
            try:
                float_parts.append((run(float_graph, *batch), real))
            except InputError as exc:
                raise DataError(f"evaluation data does not fit the model: {exc}") from None
            int_parts.append((model.run(*batch), real))
            bar.update(real)
        layers = layer_errors(float_graph, model.graph, evalset.head(layer_count),
                              config.batch_size, tick=bar.update)
    float_outputs = plan.join(float_parts, float_graph.outputs)
    int_outputs = plan.join(int_parts, float_graph.outputs)
    return {
        "samples": count,
        "labelled": evalset.labels is not None,
        "metrics": score(config.metrics, float_outputs, int_outputs, evalset.labels, search_dir),
        "layer_samples": layer_count,
        "layers": [_finite(dataclasses.asdict(layer)) for layer in layers],
        "batch_invariant": batch_invariant(model, evalset.head(INVARIANCE_SAMPLES)),
    }


def batch_invariant(model: QuantizedModel, inputs: Sequence[np.ndarray]) -> bool:
    """Whether running the samples one by one gives the bytes running them together gives
    (inputs fed whole, such as states, are given whole to each sample; ``runtime.batching``)."""
    together = model.run(*inputs)
    plan = batch_plan(model.graph, inputs)
    alone = [(model.run(*chunk), real) for chunk, real in plan.chunks(inputs, 1)]
    joined = plan.join(alone, model.graph.outputs)
    return all(one.tobytes() == whole.tobytes() for one, whole in zip(joined, together))


def _finite(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: an exact tensor's SQNR is stored as None."""
    if not math.isfinite(row["sqnr_db"]):
        row["sqnr_db"] = None
    return row
