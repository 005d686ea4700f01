"""Quick latency probe of intq's fast integer runtime against ONNX Runtime fp32 (one thread).

    python -m benchmarks.latency_probe [resnet mobilenetv2 vit lenet] [--budget S] [--profile]

For each model: export the trained float model to ONNX, quantize it with MSE calibration,
check the fast path against the reference on a test batch (bit-identical), then time
``q.run`` and the ONNX Runtime fp32 session in alternation (medians) at batch 1 and 32 and
print the ratios. ``--profile`` prints a cProfile of the fast path at batch 32 instead.
Quantized models are cached in memory only; the machine may be noisy, so compare ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

import intq
from benchmarks.latency import paired_latency
from benchmarks.models import (MODELS, calibration_split, dataset, export_float_onnx,
                               trained)
from benchmarks.quantizers.ort_float import ort_session


def build(name: str, workdir: Path):
    spec = MODELS[name]
    module = trained(spec, progress=False)
    path = workdir / f"{name}.onnx"
    export_float_onnx(module, path)
    data = dataset(spec)
    calib = calibration_split(data.x_train, 256).astype(np.float32)
    q = intq.quantize(intq.load_onnx(path), calib, {"calibration": {"method": "mse"}},
                      progress=False)
    return q, ort_session(path, 1), data.x_test.astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("models", nargs="*", default=["resnet"])
    parser.add_argument("--budget", type=float, default=3.0)
    parser.add_argument("--batches", type=int, nargs="*", default=[1, 32])
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(1):
        for name in args.models:
            q, baseline, x_test = build(name, Path(tmp))
            x = x_test[:64]
            fast, ref = q.run(x)[0], q.run(x, fast=False)[0]
            same = fast.dtype == ref.dtype and np.array_equal(fast.view(np.uint8),
                                                             ref.view(np.uint8))
            print(f"{name}: fast == reference: {same}")
            if args.profile:
                xb = x_test[:args.batches[0]]
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(20):
                    q.run(xb)
                prof.disable()
                pstats.Stats(prof).sort_stats("tottime").print_stats(25)
                continue
            for batch in args.batches:
                xb = x_test[:batch]
                r = paired_latency(lambda v: q.run(v)[0], baseline, xb, budget=args.budget,
                                   min_runs=10, max_runs=2000, warmup=3)
                print(f"  batch {batch:3d}: intq {r['seconds'] * 1e3:8.3f} ms  ort "
                      f"{r['baseline_seconds'] * 1e3:8.3f} ms  ratio "
                      f"{r['seconds'] / r['baseline_seconds']:6.2f}  ({r['runs']} pairs)")


if __name__ == "__main__":
    main()
