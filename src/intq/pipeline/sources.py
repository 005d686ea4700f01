"""What the config's sources name, read: the model, the calibration set, the evaluation set.

A source is a file path or a ``module:function`` reference called with the section's
``args``. Problems come back as one-line ``DataError`` s naming the config key, so a wrong
path or a function that raises never shows as a traceback (``--debug`` shows the cause).
"""

from __future__ import annotations

import importlib
import os
import sys
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from intq.calibration.data import iter_batches
from intq.errors import IntqError
from intq.ir.graph import Graph
from intq.model import FloatModel
from intq.pipeline.config import (DataConfig, EvaluateConfig, ModelConfig, PipelineConfig,
                                  is_reference)
from intq.pipeline.errors import DataError

LABELS = "labels"
FALLBACK_SAMPLES = 256
"""Samples of the calibration set evaluated when the config names no evaluation data."""


@dataclass(frozen=True)
class EvalSet:
    """Evaluation inputs (one array per model input, samples on axis 0) and optional labels."""

    inputs: tuple[np.ndarray, ...]
    labels: np.ndarray | None

    def __len__(self) -> int:
        return len(self.inputs[0])

    def head(self, count: int) -> tuple[np.ndarray, ...]:
        return tuple(a[:count] for a in self.inputs)


def resolve(reference: str, search_dir: Path, key: str) -> Callable[..., Any]:
    """The function ``module:function`` names; modules beside the config file import too."""
    module_name, _, attr = reference.partition(":")
    sys.path.insert(0, str(search_dir))
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise DataError(f"{key} '{reference}': cannot import module '{module_name}' "
                        f"({_first_line(exc)})") from exc
    finally:
        sys.path.remove(str(search_dir))
    function = getattr(module, attr, None)
    if not callable(function):
        raise DataError(f"{key} '{reference}': module '{module_name}' has no function '{attr}'")
    return function


def call(reference: str, key: str, search_dir: Path, *args: Any, **kwargs: Any) -> Any:
    """Call ``module:function``; its exceptions become one-line errors naming ``key``."""
    function = resolve(reference, search_dir, key)
    try:
        return function(*args, **kwargs)
    except IntqError:
        raise
    except Exception as exc:
        raise DataError(f"{key} '{reference}' raised {type(exc).__name__}: "
                        f"{_first_line(exc)}") from exc


def check_files(config: PipelineConfig) -> None:
    """Every file the config names exists, before any stage runs and writes anything."""
    for key, source in (("model.path", config.model.path), ("data.source", config.data.source),
                        ("evaluate.data", config.evaluate.data)):
        if source and not is_reference(source) and not Path(source).exists():
            raise DataError(f"{key}: '{source}' does not exist")


def load_model(config: ModelConfig, search_dir: Path) -> FloatModel:
    """The float model ``[model] path`` names."""
    source: Any = config.path
    if is_reference(config.path):
        source = call(config.path, "model.path", search_dir, **config.args)
    if isinstance(source, FloatModel):
        return source
    if isinstance(source, Graph):
        return FloatModel(source)
    if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
        raise DataError(f"model.path: model file '{source}' does not exist")
    from intq.frontends.onnx_import import import_onnx

    try:
        return FloatModel(import_onnx(source))
    except (TypeError, ValueError) as exc:
        raise DataError(f"model.path '{config.path}' gave {type(source).__name__}, not an ONNX "
                        f"model ({_first_line(exc)})") from exc


def calibration_data(config: DataConfig, input_names: Sequence[str], search_dir: Path,
                     batch_size: int | None = None) -> Any:
    """What ``calibrate`` takes, limited to ``num_samples`` (read in ``batch_size`` batches)."""
    source: Any = config.source
    if is_reference(source):
        source = call(source, "data.source", search_dir, **config.args)
    elif not Path(source).exists():
        raise DataError(f"data.source: calibration data '{source}' does not exist")
    if not config.num_samples:
        return source
    return _limited(source, input_names, config.num_samples, batch_size)


def evaluation_set(config: EvaluateConfig, data: DataConfig, input_names: Sequence[str],
                   search_dir: Path) -> EvalSet:
    """The evaluation set, at most ``num_samples`` samples: ``[evaluate] data``, or the
    calibration set (without labels) when none is given."""
    if not config.data:
        limit = config.num_samples or FALLBACK_SAMPLES
        source = calibration_data(data, input_names, search_dir)
        batches = list(iter_batches(_limited(source, input_names, limit), input_names))
        return EvalSet(tuple(np.concatenate(arrays) for arrays in zip(*batches)), None)
    if is_reference(config.data):
        loaded = call(config.data, "evaluate.data", search_dir, **config.args)
    else:
        loaded = _read_file(Path(config.data))
    evalset = _as_evalset(loaded, input_names, config.data)
    if config.num_samples:
        labels = evalset.labels[:config.num_samples] if evalset.labels is not None else None
        evalset = EvalSet(evalset.head(config.num_samples), labels)
    return evalset


def _limited(source: Any, names: Sequence[str], limit: int, batch_size: int | None = None
             ) -> Any:
    """The first ``limit`` samples: arrays and ``.npy`` files are sliced (memory-mapped, so
    their size stays known to the progress bar), anything else is read batch by batch."""
    if isinstance(source, (str, os.PathLike)) and Path(source).suffix == ".npy":
        source = np.load(source, mmap_mode="r", allow_pickle=False)
    if isinstance(source, np.ndarray):
        return source[:limit]
    if isinstance(source, tuple) and all(isinstance(a, np.ndarray) for a in source):
        return tuple(a[:limit] for a in source)
    return _head(source, names, limit, batch_size)


def _head(source: Any, names: Sequence[str], limit: int, batch_size: int | None
          ) -> Iterator[tuple[np.ndarray, ...]]:
    for batch in iter_batches(source, names, batch_size=batch_size):
        if limit <= 0:
            return
        yield tuple(a[:limit] for a in batch)
        limit -= len(batch[0])


def _read_file(path: Path) -> Any:
    """A ``.npz`` as a dict of arrays, or a ``.npy`` array."""
    if not path.is_file():
        raise DataError(f"evaluate.data: evaluation data '{path}' does not exist")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {key: loaded[key] for key in loaded.files}
        return loaded
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"evaluate.data: cannot read '{path}' ({_first_line(exc)}); give a "
                        ".npz with the inputs and 'labels'") from None


def _as_evalset(loaded: Any, names: Sequence[str], where: str) -> EvalSet:
    labels = None
    if isinstance(loaded, Mapping):
        arrays = dict(loaded)
        labels = arrays.pop(LABELS, None)
        if all(n in arrays for n in names):
            inputs = [arrays[n] for n in names]
        elif len(arrays) == len(names):
            inputs = [arrays[k] for k in sorted(arrays, key=lambda k: (len(k), k))]
        else:
            raise DataError(f"evaluate.data '{where}' has arrays {sorted(loaded)}; give one per "
                            f"model input {list(names)} (or arr_0...) and optionally '{LABELS}'")
    elif isinstance(loaded, tuple) and len(loaded) == 2:
        first, labels = loaded
        inputs = list(first) if isinstance(first, (tuple, list)) else [first]
    else:
        inputs = [loaded]
    inputs = [np.asarray(a) for a in inputs]
    if len(inputs) != len(names):
        raise DataError(f"evaluate.data '{where}' gives {len(inputs)} input array(s); the model "
                        f"takes {len(names)} {list(names)}")
    sizes = {len(a) if a.ndim else -1 for a in inputs}
    if labels is not None:
        labels = np.asarray(labels)
        sizes.add(len(labels) if labels.ndim else -1)
    if len(sizes) != 1 or -1 in sizes or 0 in sizes:
        raise DataError(f"evaluate.data '{where}': inputs and labels need the same non-zero "
                        "number of samples on axis 0")
    return EvalSet(tuple(inputs), labels)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
