"""Every row of the table: which quantizer runs, with which options, under which label.

``family`` groups rows for the verdicts (intq against each peer); ``kind`` names the module in
``benchmarks/quantizers`` that runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    family: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


FLOAT = Method("float", "float (ONNX Runtime fp32)", "float", "ort_float")

INTQ_CALIBRATIONS = ("minmax", "percentile", "entropy", "mse")
ORT_CALIBRATIONS = ("MinMax", "Percentile", "Entropy")

METHODS: tuple[Method, ...] = (
    FLOAT,
    *(Method(f"intq-int8-{c}", f"intq int8, {c}", "intq", "intq",
             {"weight_bits": 8, "act_bits": 8, "calibration": c}) for c in INTQ_CALIBRATIONS),
    Method("intq-w4a8", "intq W4A8, mse", "intq", "intq",
           {"weight_bits": 4, "act_bits": 8, "calibration": "mse"}),
    *(Method(f"ort-{c.lower()}", f"ONNX Runtime QDQ, {c}", "ONNX Runtime", "ort_static",
             {"calibration": c}) for c in ORT_CALIBRATIONS),
    Method("ort-minmax-cpu", "ONNX Runtime QDQ, MinMax, uint8 activations (ORT's CPU advice)",
           "ONNX Runtime", "ort_static", {"calibration": "MinMax", "cpu_advice": True}),
    Method("torch-fx", "PyTorch FX PTQ (x86)", "PyTorch FX", "torch_fx"),
)

INTQ_DEFAULT = "intq-int8-mse"
"""The row with ``intq.quantize``'s defaults (``QuantConfig()``: int8, mse calibration)."""

EXPORT_ROW = "intq-export"
"""The extra row: the ``INTQ_DEFAULT`` model as its ``--format int`` ONNX export in ONNX
Runtime, measured inside the ``INTQ_DEFAULT`` job."""

SCALING_METHODS: tuple[Method, ...] = (
    next(m for m in METHODS if m.key == "intq-int8-entropy"),
    next(m for m in METHODS if m.key == "ort-entropy"),
)


def by_key(key: str) -> Method:
    for method in METHODS:
        if method.key == key:
            return method
    raise KeyError(key)
