"""Latency of a prediction function relative to a baseline, timed in alternation.

Calls to the measured function and to the ONNX Runtime fp32 baseline alternate, so load from
other processes on a shared machine slows both alike and their ratio stays meaningful.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.quantizers.base import Predict


def paired_latency(predict: Predict, baseline: Predict, x: np.ndarray, *, budget: float,
                   min_runs: int = 5, max_runs: int = 200, warmup: int = 2) -> dict[str, float]:
    """Median seconds per call of ``predict`` and of ``baseline``, and the number of pairs."""
    for _ in range(warmup):
        predict(x)
        baseline(x)
    ours: list[float] = []
    theirs: list[float] = []
    start = time.perf_counter()
    while len(ours) < max_runs and (len(ours) < min_runs
                                    or time.perf_counter() - start < budget):
        for fn, times in ((predict, ours), (baseline, theirs)):
            t0 = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t0)
    return {"seconds": float(np.median(ours)), "baseline_seconds": float(np.median(theirs)),
            "runs": len(ours)}
