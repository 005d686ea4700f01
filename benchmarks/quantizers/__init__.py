"""One module per quantizer, all with the same small interface (see ``base.Quantizer``).

Looked up lazily by kind, so a worker process imports only the library it measures.
"""

from __future__ import annotations

import importlib

from benchmarks.quantizers.base import Job, Quantizer

KINDS = {
    "ort_float": "benchmarks.quantizers.ort_float:OrtFloat",
    "intq": "benchmarks.quantizers.intq_ptq:IntqPtq",
    "ort_static": "benchmarks.quantizers.ort_static:OrtStatic",
    "torch_fx": "benchmarks.quantizers.torch_fx:TorchFx",
}


def create(job: Job) -> Quantizer:
    module, name = KINDS[job.kind].split(":")
    return getattr(importlib.import_module(module), name)(job)


__all__ = ["KINDS", "Job", "Quantizer", "create"]
