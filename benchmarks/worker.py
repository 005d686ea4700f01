"""One measurement in a fresh process: ``python -m benchmarks.worker JOB.json RESULT.json``.

A fresh process per quantizer makes its peak memory honest (nothing left over from other
quantizers) and keeps one library's thread pools and caches from helping another. Only the
measured quantizer's library is imported (no torch in an ONNX Runtime worker, and so on).
"""

from __future__ import annotations

import gc
import json
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.latency import paired_latency
from benchmarks.memory import PeakRss
from benchmarks.quantizers import Job, Quantizer, create
from benchmarks.quantizers.base import Predict

EVAL_BATCH = 250
EXACT_SAMPLES = 32
LATENCY_BATCHES = (1, 32)


def measure(job: Job) -> dict[str, Any]:
    quantizer = create(job)
    x_calib = np.load(job.calib, allow_pickle=False)
    calib = [x_calib[i:i + job.calib_batch] for i in range(0, len(x_calib), job.calib_batch)]
    with np.load(job.test, allow_pickle=False) as test:
        x_test, y_test = test["x"], test["y"]
    gc.collect()
    with PeakRss() as memory:
        start = time.perf_counter()
        artifact = quantizer.quantize(calib)
        seconds = time.perf_counter() - start
    result: dict[str, Any] = {
        "quantize_seconds": seconds if quantizer.quantizes else None,
        "rss_before": memory.before if quantizer.quantizes else None,
        "rss_peak": memory.peak if quantizer.quantizes else None,
        "size_bytes": artifact.stat().st_size,
    }
    if job.measure == "scaling":
        return result
    result.update(evaluate(quantizer.session, job, x_test, y_test))
    if hasattr(quantizer, "reference_session"):
        with quantizer.reference_session(job.threads) as predict:
            result["reference_accuracy"] = top1(predict_all(predict, x_test), y_test)
    if hasattr(quantizer, "export"):
        result["exact"]["export"], row = export_checks(quantizer, job, x_test, y_test)
        if row is not None:
            result["export_row"] = row
    return result


def evaluate(session, job: Job, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Accuracy, latency at batch 1 and 32 (against ONNX Runtime fp32 on the float model, on
    the same threads), and whether outputs depend on batch or threads."""
    from benchmarks.quantizers.ort_float import ort_session

    sample = np.ascontiguousarray(x[:EXACT_SAMPLES])
    baseline = ort_session(job.float_onnx, job.threads)
    with session(job.threads) as predict:
        logits = predict_all(predict, x)
        latency = {str(b): paired_latency(predict, baseline, np.ascontiguousarray(x[:b]),
                                          budget=job.latency_budget) for b in LATENCY_BATCHES}
        batched = predict(sample)
        single = np.concatenate([predict(sample[i:i + 1]) for i in range(len(sample))])
    with session(1) as predict:
        one_thread = predict(sample)
    with session(2) as predict:
        two_threads = predict(sample)
    return {"accuracy": top1(logits, y), "latency": latency,
            "exact": {"batch": same_bytes(batched, single),
                      "threads": same_bytes(one_thread, two_threads)}}


def predict_all(predict: Predict, x: np.ndarray) -> np.ndarray:
    return np.concatenate([predict(x[i:i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH)])


def top1(logits: np.ndarray, y: np.ndarray) -> float:
    return float(100.0 * np.mean(logits.argmax(axis=1) == y))


def export_checks(quantizer: Quantizer, job: Job, x: np.ndarray, y: np.ndarray
                  ) -> tuple[bool, dict[str, Any] | None]:
    """intq only: does ONNX Runtime, running the integer export, give the same bytes? With
    ``export_row``, the export is also measured like any other model."""
    from benchmarks.quantizers.ort_float import ort_session

    path = quantizer.export()
    sample = np.ascontiguousarray(x[:EXACT_SAMPLES])
    with quantizer.session(job.threads) as predict:
        ours = predict(sample)
    theirs = ort_session(path, job.threads)(sample)
    row = None
    if job.export_row:
        row = {"size_bytes": path.stat().st_size, **evaluate(onnx_sessions(path), job, x, y)}
    return same_bytes(ours, theirs), row


def onnx_sessions(path: Path):
    """A ``session(threads)`` factory, as quantizers have, for a plain ONNX file."""
    from benchmarks.quantizers.ort_float import ort_session

    @contextmanager
    def session(threads: int) -> Iterator[Predict]:
        yield ort_session(path, threads)

    return session


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main() -> None:
    job_path, result_path = map(Path, sys.argv[1:3])
    job = Job.from_json(json.loads(job_path.read_text()))
    job.out_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = {"ok": True, **measure(job)}
    except Exception as exc:
        traceback.print_exc()
        first = (str(exc).splitlines() or [""])[0]
        result = {"ok": False, "error": f"{type(exc).__name__}: {first}"[:300]}
    result_path.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
