"""ONNX Runtime ``quantize_static``: QDQ, per-channel, symmetric int8 weights.

Activations are symmetric int8 like intq's (zero point 0), or, in one row, what ONNX
Runtime's documentation advises for x86 CPUs: asymmetric uint8, plus ``reduce_range`` (7-bit
weights) on CPUs without VNNI, whose int8 kernels can otherwise saturate.

The recommended flow: ``quant_pre_process`` (shape inference, graph optimization), then
``quantize_static``. ``quantize_static`` never passes a bin count to the entropy calibrator,
which then uses 128 bins, too coarse for the KL search to move the range away from the
maximum (it behaves like MinMax); ``entropy_bins`` injects TensorRT's 2048.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from benchmarks.environment import has_vnni
from benchmarks.quantizers.base import Job, Predict
from benchmarks.quantizers.ort_float import ort_session

ENTROPY_BINS = 2048


class BatchReader(CalibrationDataReader):
    def __init__(self, batches: list[np.ndarray]) -> None:
        self.batches = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self.batches, None)
        return None if batch is None else {"input": batch}


@contextmanager
def entropy_bins(num_bins: int) -> Iterator[None]:
    """Make ``quantize_static`` build its entropy calibrator with ``num_bins`` bins."""
    module = importlib.import_module("onnxruntime.quantization.quantize")
    original = module.create_calibrator

    def create_calibrator(*args, extra_options=None, **kwargs):
        return original(*args, extra_options={"num_bins": num_bins, **(extra_options or {})},
                        **kwargs)

    module.create_calibrator = create_calibrator
    try:
        yield
    finally:
        module.create_calibrator = original


class OrtStatic:
    quantizes = True

    def __init__(self, job: Job) -> None:
        self.job = job
        self.method = CalibrationMethod[job.options["calibration"]]
        self.cpu_advice = job.options.get("cpu_advice", False)
        self.path = job.out_dir / "model.onnx"

    def quantize(self, calib: list[np.ndarray]) -> Path:
        prepared = self.job.out_dir / "preprocessed.onnx"
        quant_pre_process(str(self.job.float_onnx), str(prepared))
        activations = QuantType.QUInt8 if self.cpu_advice else QuantType.QInt8
        with entropy_bins(ENTROPY_BINS):
            quantize_static(str(prepared), str(self.path), BatchReader(calib),
                            quant_format=QuantFormat.QDQ, per_channel=True,
                            reduce_range=self.cpu_advice and not has_vnni(),
                            activation_type=activations, weight_type=QuantType.QInt8,
                            calibrate_method=self.method,
                            extra_options={"ActivationSymmetric": not self.cpu_advice,
                                           "WeightSymmetric": True})
        prepared.unlink()
        return self.path

    @contextmanager
    def session(self, threads: int) -> Iterator[Predict]:
        yield ort_session(self.path, threads)

    @contextmanager
    def reference_session(self, threads: int) -> Iterator[Predict]:
        """The same file with graph optimizations off: what its accuracy is before ONNX
        Runtime fuses QDQ into this CPU's integer kernels."""
        yield ort_session(self.path, threads, optimize=False)
