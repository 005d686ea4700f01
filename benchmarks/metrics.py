"""The compared columns: how to read each from a result row and which direction is better."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


def latency_ratio(batch: str) -> Callable[[Row], float | None]:
    """Latency as a multiple of ONNX Runtime fp32, timed alternately in the same process."""

    def ratio(row: Row) -> float | None:
        try:
            timing = row["latency"][batch]
            return timing["seconds"] / timing["baseline_seconds"]
        except (KeyError, TypeError, ZeroDivisionError):
            return None

    return ratio


def field(key: str) -> Callable[[Row], float | None]:
    return lambda row: row.get(key)


@dataclass(frozen=True)
class Metric:
    """``tie``: differences up to this much are noise, not a win or a loss."""

    title: str
    higher_is_better: bool
    value: Callable[[Row], float | None]
    fmt: Callable[[float], str]
    tie: float = 0.0

    def better(self, a: float, b: float) -> bool:
        return a > b + self.tie if self.higher_is_better else a < b - self.tie


ACCURACY_TIE = 0.5
"""Percentage points: 5 of the 1000 test images, well inside the sampling noise of a 1000-image
test set at these accuracies."""

METRICS: tuple[Metric, ...] = (
    Metric("accuracy", True, field("accuracy"), lambda v: f"{v:.2f} %", ACCURACY_TIE),
    Metric("quantize time", False, field("quantize_seconds"), lambda v: f"{v:.2f} s"),
    Metric("peak memory while quantizing", False, field("rss_peak"),
           lambda v: f"{v / 2**20:.0f} MB"),
    Metric("model size", False, field("size_bytes"), lambda v: f"{v / 1024:.1f} KB"),
    Metric("latency at batch 1", False, latency_ratio("1"), lambda v: f"{v:.2f}× fp32"),
    Metric("latency at batch 32", False, latency_ratio("32"), lambda v: f"{v:.2f}× fp32"),
)

EXACT_CHECKS = {"batch": "batch 1 vs 32", "threads": "1 vs 2 threads",
                "export": "runtime vs its ONNX int export in ONNX Runtime"}
