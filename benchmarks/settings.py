"""How much a run measures: the full run for the README, and ``--quick`` to try things."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    mode: str
    models: tuple[str, ...]
    calib: int
    test_limit: int | None
    latency_budget: float
    scaling_model: str
    calib_batch: int = 32
    threads: int = 1
    scaling_factors: tuple[int, ...] = (1, 4, 16)
    job_timeout: float = 900.0


FULL = Settings("full", ("lenet", "resnet", "mobilenetv2", "vit"), calib=256, test_limit=None,
                latency_budget=1.0, scaling_model="resnet")
QUICK = Settings("quick", ("lenet", "vit"), calib=64, test_limit=500, latency_budget=0.2,
                 scaling_model="lenet")
