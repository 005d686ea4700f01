"""intq post-training quantization: ONNX in, integer-only model out (``intq.quantize``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import intq
from benchmarks.quantizers.base import Job, Predict
from intq.export import export_onnx
from intq.quantize import CalibrationConfig, QuantConfig


class IntqPtq:
    quantizes = True

    def __init__(self, job: Job) -> None:
        self.job = job
        options = job.options
        self.config = QuantConfig(
            weight_bits=options["weight_bits"], act_bits=options["act_bits"],
            calibration=CalibrationConfig(method=options["calibration"],
                                          batch_size=job.calib_batch))
        self.path = job.out_dir / "model.intq"

    def quantize(self, calib: list[np.ndarray]) -> Path:
        """Import, prepare, calibrate, lower and save: all of it is what a user waits for."""
        float_model = intq.load_onnx(self.job.float_onnx)
        self.model = intq.quantize(float_model, np.concatenate(calib), self.config,
                                   progress=False)
        self.model.save(self.path)
        return self.path

    @contextmanager
    def session(self, threads: int) -> Iterator[Predict]:
        with threadpool_limits(threads):
            yield lambda x: self.model.run(x)[0]

    def export(self) -> Path:
        """The ``--format int`` ONNX export, which ONNX Runtime should run bit-identically."""
        path = self.job.out_dir / "model.int.onnx"
        export_onnx(self.model.graph, path, format="int")
        return path
