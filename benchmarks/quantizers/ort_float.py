"""The float baseline: the exported fp32 ONNX in ONNX Runtime. Also runs any ONNX file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import onnxruntime as ort

from benchmarks.quantizers.base import Job, Predict


def ort_session(path: Path, threads: int, optimize: bool = True) -> Predict:
    """A sequential session on ``threads`` intra-op threads with the default graph
    optimizations, or none (``optimize=False``: QDQ models then run as float simulation
    instead of fused integer kernels)."""
    options = ort.SessionOptions()
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    def predict(x: np.ndarray) -> np.ndarray:
        return session.run(None, {name: x})[0]

    return predict


class OrtFloat:
    quantizes = False

    def __init__(self, job: Job) -> None:
        self.job = job
        self.path = job.out_dir / "model.onnx"

    def quantize(self, calib: list[np.ndarray]) -> Path:
        shutil.copyfile(self.job.float_onnx, self.path)
        return self.path

    @contextmanager
    def session(self, threads: int) -> Iterator[Predict]:
        yield ort_session(self.path, threads)
