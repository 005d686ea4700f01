"""What the numbers were measured on: date, CPU, core count, library versions."""

from __future__ import annotations

import datetime
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

PACKAGES = ("intq", "onnxruntime", "torch", "numpy", "numba", "onnx")
INT8_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
"""The x86 features that decide which int8 kernels ONNX Runtime and PyTorch use."""


def cpuinfo_field(name: str) -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":", 1)[0].strip() == name:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    return cpuinfo_field("model name") or platform.processor() or "unknown CPU"


def int8_flags() -> list[str]:
    flags = set((cpuinfo_field("flags") or "").split())
    return [f for f in INT8_FLAGS if f in flags]


def has_vnni() -> bool:
    return any("vnni" in f for f in int8_flags())


def describe() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_model(), "cpu_flags": int8_flags(), "cores": os.cpu_count(),
            "load_average": os.getloadavg()[0], "python": platform.python_version(),
            "versions": versions}
