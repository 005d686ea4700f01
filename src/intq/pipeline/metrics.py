"""Evaluation metrics: how far the integer model is from the float model and from the labels.

Model metrics score whole output sets, once for the float and once for the integer model:
``top1``/``top5`` against the labels, ``agreement`` (how often the integer model's top-1
equals the float model's; needs no labels), and user metrics ``module:function`` called as
``f(outputs, labels) -> float`` with the list of output arrays. Classification metrics read
the last axis of the first output as class scores: one prediction per sample for
``(samples, classes)``, one per position for sequence outputs such as ``(samples, steps,
classes)`` (labels then ``(samples, steps)``). ``TensorError`` compares one tensor's float
and dequantized integer values (SQNR, cosine) streaming over batches.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from intq.pipeline.errors import DataError
from intq.pipeline.sources import call


def top_k(outputs: Sequence[np.ndarray], labels: np.ndarray, k: int) -> float:
    """Percent of predictions whose label is among the ``k`` highest scores."""
    scores = _scores(outputs)
    k = min(k, scores.shape[1])
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return float(100.0 * np.mean(np.any(best == labels.reshape(-1, 1), axis=1)))


def agreement(outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """Percent of predictions whose top-1 class is the reference model's."""
    return float(100.0 * np.mean(_scores(outputs).argmax(1) == _scores(reference).argmax(1)))


def score(names: Sequence[str], float_outputs: Sequence[np.ndarray],
          int_outputs: Sequence[np.ndarray], labels: np.ndarray | None, search_dir: Path
          ) -> dict[str, dict[str, float]]:
    """``{metric: {"float": value, "quantized": value}}`` for the configured metrics."""
    results = {}
    for name in names:
        if name in ("top1", "top5"):
            if labels is None:
                raise DataError(f"evaluate.metrics '{name}' needs labels: add a 'labels' array "
                                "to the evaluation data, or use \"agreement\"")
            k = int(name[3:])
            values = (top_k(float_outputs, labels, k), top_k(int_outputs, labels, k))
        elif name == "agreement":
            values = (100.0, agreement(int_outputs, float_outputs))
        else:
            values = tuple(_user_metric(name, outputs, labels, search_dir)
                           for outputs in (float_outputs, int_outputs))
        results[name] = {"float": values[0], "quantized": values[1]}
    return results


class TensorError:
    """Float vs dequantized values of one tensor, accumulated over batches in float64."""

    def __init__(self) -> None:
        self.signal = self.noise = self.dot = self.power = 0.0

    def update(self, reference: np.ndarray, approx: np.ndarray) -> None:
        f = np.asarray(reference, np.float64).ravel()
        q = np.asarray(approx, np.float64).ravel()
        self.signal += float(f @ f)
        self.noise += float((f - q) @ (f - q))
        self.dot += float(f @ q)
        self.power += float(q @ q)

    @property
    def sqnr_db(self) -> float:
        """Signal-to-quantization-noise ratio in dB (inf when exact, -inf for a zero signal)."""
        if self.noise == 0:
            return math.inf
        if self.signal == 0:
            return -math.inf
        return 10.0 * math.log10(self.signal / self.noise)

    @property
    def cosine(self) -> float:
        """Cosine similarity; 1 when both tensors are all zeros."""
        if self.signal == 0 or self.power == 0:
            return 1.0 if self.signal == self.power else 0.0
        return self.dot / math.sqrt(self.signal * self.power)


def _scores(outputs: Sequence[np.ndarray]) -> np.ndarray:
    first = np.asarray(outputs[0])
    return first.reshape(-1, first.shape[-1]) if first.ndim > 1 else first.reshape(-1, 1)


def _user_metric(name: str, outputs: Sequence[np.ndarray], labels: np.ndarray | None,
                 search_dir: Path) -> float:
    value = call(name, "evaluate.metrics", search_dir, list(outputs), labels)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise DataError(f"evaluate.metrics '{name}' returned {value!r}; a metric returns a "
                        "number")
    return float(value)
