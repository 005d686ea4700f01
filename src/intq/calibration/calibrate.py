"""MRT's calibration stage: run the float reference executor over calibration data and give
every floating-point activation an observer holding its statistics.

Memory is bounded whatever the number of batches: the executor frees each intermediate
array after its last use, nothing is kept between batches, and an observer is a fixed-size
exact histogram (``histogram.py``). Peak memory is one batch's activations plus a constant
per tensor.

One calibration serves every threshold method. Observer classes name a method, but all of
them hold the same state (histogram, min, max) and differ only in how they read a threshold
from it: ``with_method(observers, "mse")`` re-reads a finished calibration with another
method without running the data again.

Attention masks: transformer exports add masks of huge negative numbers (down to -3.4e38, or
-inf) to the scores before Softmax. Statistics that saw them would stretch the scale over the
mask, so for tensors consumed by a Softmax (or LogSoftmax) values ``<= exclude_below`` are
left out; the quantizer's masked softmax handles those positions exactly.

Distributed: each rank calibrates its own part of the data (``data.shard``), then
``allreduce_observers`` merges the states exactly, leaving every rank with the observers a
single process would have built from all the data.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
from tqdm import tqdm

from intq.calibration.data import count_samples, iter_labelled_batches
from intq.calibration.distributed import allreduce_observers
from intq.calibration.errors import CalibrationError
from intq.calibration.observer import Observer
from intq.calibration.registry import make_observer
from intq.errors import InputError
from intq.ir.graph import Graph
from intq.runtime.batching import batch_plan
from intq.runtime.executor import bind_inputs, execute

SOFTMAX_OPS = frozenset({"Softmax", "LogSoftmax"})
MASK_FLOOR = -1e4
"""Default ``exclude_below``: far below any real attention score, far above any mask value."""


def calibrate(graph: Graph, data: Any, *, method: Any = "entropy",
              tensors: Collection[str] | None = None, progress: bool = True,
              batch_size: int | None = None, distributed: bool | None = None,
              exclude_below: float | None = MASK_FLOOR) -> dict[str, Observer]:
    """Observe every floating-point activation of the float ``graph`` on ``data``.

    ``data``: any source ``calibration.data.iter_batches`` takes (array, tuple or dict of
    arrays, ``.npy``/``.npz`` file or folder, iterable of batches, ``shard``), cut into
    batches of ``batch_size`` where it is one set of arrays (default 32).
    ``method``: a method name (``minmax``, ``percentile``, ``entropy``, ``mse``) or a method
    config (``registry.make_config``); observers come from ``registry.make_observer`` (see
    ``with_method`` for asking another method later).
    ``tensors``: observe only these activations (default: graph inputs and node outputs of
    floating dtype; constants never).
    ``progress``: a tqdm bar on stderr, in samples when ``count_samples`` knows the total,
    else in batches (rank 0 only when distributed).
    ``distributed``: merge the observers over all ranks of the initialized
    ``torch.distributed`` default group after calibrating this rank's data; ``None``
    (default) does so when a group with more than one rank is initialized.
    ``exclude_below``: for tensors consumed by Softmax, values ``<=`` it are not observed
    (attention masks); ``None`` observes everything.

    Returns one observer per observed tensor, keyed by tensor name, in graph order (inputs,
    then node outputs topologically). Raises ``CalibrationError`` (one line) for bad data,
    a shape mismatch with the model, an empty calibration set, or NaN/Inf in any observed
    tensor, naming the batch and tensor.
    """
    in_group = _use_distributed(distributed)
    try:
        floor = _exclude_below(exclude_below)
        observers = {name: make_observer(name, method) for name in _activations(graph, tensors)}
        masked = set() if floor is None else _softmax_inputs(graph) & observers.keys()
        collector = _Collector(graph, observers, masked, floor)
        total = count_samples(data, graph.inputs, batch_size=batch_size,
                              shapes=_input_shapes(graph))
        show = progress and (not in_group or _rank() == 0)
        with tqdm(total=total, unit="batch" if total is None else "sample", desc="calibrating",
                  file=sys.stderr, disable=not show) as bar:
            samples = _run(graph, data, collector, batch_size, bar, counting=total is not None)
    except Exception:
        if in_group:
            _agree(0, failed=True)
        raise
    if in_group:
        samples = _agree(samples, failed=False)
    if samples == 0:
        raise CalibrationError("the calibration set is empty: give at least one sample")
    if in_group:
        allreduce_observers(list(observers.values()))
    return observers


def with_method(observers: Mapping[str, Observer], method: Any) -> dict[str, Observer]:
    """The same statistics read with another method (a name or config): new observers loaded
    with each observer's state, without running the data again."""
    switched = {}
    for name, observer in observers.items():
        switched[name] = make_observer(name, method)
        switched[name].load_state(observer.state_dict())
    return switched


def _run(graph: Graph, data: Any, collector: _Collector, batch_size: int | None, bar: tqdm,
         counting: bool) -> int:
    """Feed every batch through the executor, in runs of the batch the graph accepts
    (``runtime.batching``); return the number of samples seen. A fixed batch ``k > 1`` pads
    a short last run with copies of its last sample, which the observers see too. NumPy's
    overflow warnings are silenced: the collector turns NaN/Inf into an error naming the
    tensor."""
    samples = 0
    for label, batch in iter_labelled_batches(data, graph.inputs, batch_size=batch_size,
                                              shapes=_input_shapes(graph)):
        collector.label = label
        try:
            plan = batch_plan(graph, batch)
            count = plan.samples(batch)
            for chunk, _ in plan.chunks(batch):
                _observe(graph, chunk, collector)
        except InputError as exc:
            raise CalibrationError(f"{label}: {exc}") from None
        samples += count
        bar.update(count if counting else 1)
    return samples


def _observe(graph: Graph, arrays: list[np.ndarray], collector: _Collector) -> None:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        feeds = bind_inputs(graph, arrays)
        for name, array in feeds.items():
            collector(name, array)
        execute(graph, feeds, on_value=collector)


def _input_shapes(graph: Graph) -> list:
    return [graph.values[name].shape for name in graph.inputs]


class _Collector:
    """The executor's ``on_value`` hook: hands each observed tensor to its observer."""

    def __init__(self, graph: Graph, observers: dict[str, Observer], masked: set[str],
                 floor: float | None) -> None:
        self.observers, self.masked, self.floor = observers, masked, floor
        self.producers = graph.producers()
        self.label = ""

    def __call__(self, name: str, array: np.ndarray) -> None:
        observer = self.observers.get(name)
        if observer is None:
            return
        if name in self.masked:
            if np.isnan(array).any():
                raise self._not_finite(name)
            array = array[array > self.floor]
        try:
            observer.observe(array)
        except CalibrationError:
            if np.isfinite(array).all():
                raise
            raise self._not_finite(name) from None

    def _not_finite(self, name: str) -> CalibrationError:
        node = self.producers.get(name)
        origin = "model input" if node is None else f"output of node '{node.name}' ({node.op})"
        return CalibrationError(f"tensor '{name}' ({origin}) has NaN or Inf on {self.label}: "
                                "the float model overflows or divides by zero on this data; "
                                "check its weights and the calibration data")


def _activations(graph: Graph, tensors: Collection[str] | None) -> list[str]:
    """Floating-point graph inputs and node outputs, in graph order, optionally filtered."""
    names = list(graph.inputs) + [o for node in graph.nodes for o in node.outputs if o]
    floating = [n for n in names
                if n not in graph.constants and np.dtype(graph.values[n].dtype).kind == "f"]
    if tensors is None:
        return floating
    if isinstance(tensors, str):
        tensors = [tensors]
    unknown = sorted(set(tensors) - set(floating))
    if unknown:
        raise CalibrationError(f"tensor '{unknown[0]}' given to calibrate is not a "
                               f"floating-point activation of graph '{graph.name}' (unknown, "
                               "a constant or an integer tensor)")
    wanted = set(tensors)
    return [n for n in floating if n in wanted]


def _softmax_inputs(graph: Graph) -> set[str]:
    return {node.inputs[0] for node in graph.nodes if node.op in SOFTMAX_OPS and node.inputs}


def _exclude_below(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise CalibrationError(f"exclude_below must be a number or None, got {value!r}")
    return float(value)


def _use_distributed(distributed: bool | None) -> bool:
    """Whether to merge over ranks; torch is looked up, never imported, by auto-detection."""
    dist = sys.modules.get("torch.distributed")
    initialized = dist is not None and dist.is_available() and dist.is_initialized()
    if distributed is None:
        return initialized and dist.get_world_size() > 1
    if distributed and not initialized:
        raise CalibrationError("calibrate(distributed=True) needs torch.distributed: call "
                               "torch.distributed.init_process_group first")
    return bool(distributed)


def _rank() -> int:
    return sys.modules["torch.distributed"].get_rank()


def _agree(samples: int, failed: bool) -> int:
    """Total samples over all ranks. Every rank calls this, failed or not, so a rank that
    failed never leaves the others waiting in the all-reduce; they fail too."""
    import torch
    import torch.distributed as dist

    status = torch.tensor([int(failed), samples], dtype=torch.int64)
    dist.all_reduce(status, op=dist.ReduceOp.SUM)
    failures, total = status.tolist()
    if failures and not failed:
        raise CalibrationError(f"calibration failed on {failures} other rank(s); see the "
                               "error printed by that rank")
    return total
