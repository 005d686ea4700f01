"""The interface every benchmarked quantizer implements, and the job a worker receives."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Job:
    """What one worker process measures; written as JSON by the parent."""

    kind: str
    model: str
    options: dict[str, Any]
    float_onnx: Path
    weights: Path
    calib: Path
    test: Path
    out_dir: Path
    calib_batch: int
    threads: int
    latency_budget: float
    measure: str = "full"
    export_row: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        paths = ("float_onnx", "weights", "calib", "test", "out_dir")
        return cls(**{k: Path(v) if k in paths else v for k, v in data.items()})

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in self.__dict__.items()}


class Quantizer(Protocol):
    """Constructed with its libraries imported and the float model loaded (not measured);
    ``quantize`` is the measured step, from float model to quantized model saved on disk;
    ``session(threads)`` runs the result on that many threads.

    Optional, and measured when present: ``export()`` writes a second artifact that must give
    the same bytes in ONNX Runtime (intq), ``reference_session(threads)`` runs the same file
    without the engine's integer kernels (ONNX Runtime QDQ).
    """

    quantizes: bool

    def __init__(self, job: Job) -> None: ...

    def quantize(self, calib: list[np.ndarray]) -> Path: ...

    def session(self, threads: int) -> AbstractContextManager[Predict]: ...
