"""Preparing a model's shared inputs and running one worker process per measurement."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.methods import Method
from benchmarks.models import (CACHE, ModelSpec, calibration_split, dataset, export_float_onnx,
                               trained, weights_path)
from benchmarks.quantizers import Job
from benchmarks.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def prepare_model(spec: ModelSpec, settings: Settings, progress: bool
                  ) -> tuple[Job, dict[str, Any]]:
    """Train (or load) the model, export its float ONNX, write the test and calibration sets.

    The scaling model also gets calibration sets ``factor`` times the default size (the same
    split; drawn with replacement only beyond the training set). Returns a job template
    (method fields to fill in) and what the table says about the data.
    """
    work = CACHE / f"run-{settings.mode}" / spec.name
    work.mkdir(parents=True, exist_ok=True)
    module = trained(spec, progress)
    export_float_onnx(module, work / "float.onnx")
    data = dataset(spec)
    x_test, y_test = data.x_test, data.y_test
    if settings.test_limit:
        x_test, y_test = x_test[:settings.test_limit], y_test[:settings.test_limit]
    np.savez(work / "test.npz", x=x_test, y=y_test)
    calib = work / "calib.npy"
    np.save(calib, calibration_split(data.x_train, settings.calib))
    if spec.name == settings.scaling_model:
        for factor in settings.scaling_factors:
            np.save(work / f"calib-x{factor}.npy",
                    calibration_split(data.x_train, settings.calib * factor))
    template = Job(kind="", model=spec.name, options={}, float_onnx=work / "float.onnx",
                   weights=weights_path(spec), calib=calib, test=work / "test.npz",
                   out_dir=work, calib_batch=settings.calib_batch, threads=settings.threads,
                   latency_budget=settings.latency_budget)
    info = {"title": spec.title, "dataset": spec.dataset, "train": len(data.x_train),
            "test": len(x_test), "calib": settings.calib, "epochs": spec.epochs}
    return template, info


def job_for(template: Job, method: Method, **changes: Any) -> Job:
    out_dir = changes.pop("out_dir", template.out_dir / method.key)
    return replace(template, kind=method.kind, options=dict(method.options), out_dir=out_dir,
                   **changes)


def scaling_calib(template: Job, factor: int) -> Path:
    return template.out_dir / f"calib-x{factor}.npy"


def run_job(job: Job, timeout: float) -> dict[str, Any]:
    """Run ``job`` in a fresh interpreter; a crash or timeout becomes a failed result."""
    job.out_dir.mkdir(parents=True, exist_ok=True)
    job_file, result_file = job.out_dir / "job.json", job.out_dir / "result.json"
    job_file.write_text(json.dumps(job.to_json(), indent=1))
    result_file.unlink(missing_ok=True)
    log = job.out_dir / "worker.log"
    started = time.perf_counter()
    try:
        with log.open("w") as out:
            subprocess.run([sys.executable, "-m", "benchmarks.worker", str(job_file),
                            str(result_file)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    if not result_file.exists():
        tail = log.read_text().strip().splitlines()[-1:] or ["no output"]
        return {"ok": False, "error": f"worker crashed: {tail[0][:200]}"}
    return {**json.loads(result_file.read_text()), "job_seconds": time.perf_counter() - started}
