"""Quantize time of intq against ONNX Runtime ``quantize_static`` MinMax, on the same data.

    PYTHONPATH=src python -m benchmarks.quantize_time [--samples 256] [--profile out.prof]

The model is EfficientNet-Lite0 (the zoo architecture at Lite0 size, ~4.7M parameters,
random weights: time does not depend on their values) on 224x224 inputs; the calibration
set is ``--samples`` uniform random images. Both tools quantize the same ONNX file from the
same arrays, one after the other in this process, so a busy machine slows both alike.
Prints a table: wall and CPU seconds of each, and intq's time as a multiple of ORT's.
"""

from __future__ import annotations

import argparse
import cProfile
import tempfile
import time
from pathlib import Path

import numpy as np

LITE0_STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def lite0_onnx(work: Path) -> Path:
    """EfficientNet-Lite0 exported to ONNX with a dynamic batch, seeded random weights."""
    import torch

    from intq.zoo.efficientnet_lite import EfficientNetLite

    torch.manual_seed(0)
    module = EfficientNetLite(LITE0_STAGES, stem=32, head=1280, image_size=224,
                              num_classes=1000).eval()
    torch.nn.init.zeros_(module.classifier[1].bias)  # random biases need not fit int32
    path = work / "lite0.onnx"
    torch.onnx.export(module, (torch.zeros(1, 3, 224, 224),), str(path), input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                      opset_version=17, dynamo=False)
    return path


def timed(work) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) of ``work()``: on a shared machine the CPU time is
    the steadier measure, the wall time what a user waits."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def time_intq(path: Path, calib: np.ndarray, profile: str | None) -> tuple[float, float]:
    import intq

    model = intq.load_onnx(path)
    if not profile:
        return timed(lambda: intq.quantize(model, calib, progress=False))
    profiler = cProfile.Profile(time.process_time)
    result = timed(lambda: profiler.runcall(intq.quantize, model, calib, progress=False))
    profiler.dump_stats(profile)
    return result


class _Reader:
    """ORT's calibration data reader over batches of 32 (intq's default batch)."""

    def __init__(self, calib: np.ndarray, name: str) -> None:
        self.batches = iter([{name: calib[i:i + 32]} for i in range(0, len(calib), 32)])

    def get_next(self):
        return next(self.batches, None)


def time_ort(path: Path, calib: np.ndarray, work: Path) -> tuple[float, float]:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    return timed(lambda: quantize_static(
        str(path), str(work / "ort.onnx"), _Reader(calib, "x"), quant_format=QuantFormat.QDQ,
        per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--profile", help="write intq's cProfile stats to this file")
    parser.add_argument("--skip-ort", action="store_true")
    args = parser.parse_args(argv)
    calib = np.random.default_rng(0).uniform(-1, 1, (args.samples, 3, 224, 224)).astype(
        np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = lite0_onnx(work)
        ours = time_intq(path, calib, args.profile)
        theirs = None if args.skip_ort else time_ort(path, calib, work)
    print("| EfficientNet-Lite0 | intq wall / CPU (s) | ORT MinMax wall / CPU (s) | "
          "ratio wall / CPU |")
    print("|---|---|---|---|")
    row = [f"{args.samples} samples", f"{ours[0]:.1f} / {ours[1]:.1f}", "", ""]
    if theirs is not None:
        row[2] = f"{theirs[0]:.1f} / {theirs[1]:.1f}"
        row[3] = f"{ours[0] / theirs[0]:.2f}x / {ours[1] / theirs[1]:.2f}x"
    print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
