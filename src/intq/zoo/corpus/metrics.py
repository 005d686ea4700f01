"""Fidelity of a quantized model to its float original, one function per kind of output.

Each metric takes one batch's first output from the float and the quantized model and returns
a score per sample (1.0 = identical behaviour); the corpus averages them over all samples.
Higher is better for every metric, so one threshold rule fits all models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Score = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Metric:
    """A named per-sample score: what the tables print and the tests threshold."""

    name: str
    score: Score

    def mean(self, pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
        return float(np.mean(np.concatenate([self.score(f, q) for f, q in pairs])))


def top1_agreement(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Whether the two models pick the same class, per sample (classes on the last axis)."""
    same = reference.argmax(-1) == candidate.argmax(-1)
    return same.astype(np.float64).reshape(len(reference), -1).mean(1)


def timestep_agreement(axis: int) -> Score:
    """Share of time steps whose argmax class agrees, per sample; the batch is on ``axis``
    (CTC recognizers emit [N, T, C] or [T, N, C])."""
    def score(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
        same = reference.argmax(-1) == candidate.argmax(-1)
        return np.moveaxis(same, axis, 0).reshape(same.shape[axis], -1).mean(1)

    return score


def text_map_iou(threshold: float) -> Score:
    """IoU of the text masks (probability > ``threshold``) of a [N, 1, H, W] detector map;
    two empty masks agree fully."""
    def score(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
        a = (reference > threshold).reshape(len(reference), -1)
        b = (candidate > threshold).reshape(len(candidate), -1)
        union = (a | b).sum(1)
        return np.where(union == 0, 1.0, (a & b).sum(1) / np.maximum(union, 1))

    return score


def probability_agreement(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """1 − |Δp| per probability (speech probabilities: one per frame)."""
    return 1.0 - np.abs(reference.astype(np.float64) - candidate).reshape(-1)


def cosine(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Cosine similarity of the embedding vectors, per sample."""
    a = reference.astype(np.float64).reshape(len(reference), -1)
    b = candidate.astype(np.float64).reshape(len(candidate), -1)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(1) / np.maximum(norms, 1e-30)


TOP1 = Metric("top-1 agreement", top1_agreement)
COSINE = Metric("mean cosine", cosine)
SPEECH = Metric("1 − |Δ speech prob|", probability_agreement)
TEXT_MAP = Metric("text-map IoU (p > 0.3)", text_map_iou(0.3))
