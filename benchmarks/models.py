"""The benchmarked models: zoo architectures trained here on shipped MNIST digits.

Trained weights are cached as safetensors under ``benchmarks/.cache`` keyed by everything that
determines them, so a rerun skips training and a changed recipe retrains. Training uses one
thread: results then do not depend on the core count, and on a shared machine one thread is
not stalled by its sibling being descheduled.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
TRAIN_THREADS = 1


@dataclass(frozen=True)
class ModelSpec:
    name: str
    zoo: str
    title: str
    dataset: str
    epochs: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    lr: float = 3e-3
    seed: int = 0

    def key(self) -> str:
        import torch

        recipe = json.dumps({**asdict(self), "torch": torch.__version__,
                             "threads": TRAIN_THREADS}, sort_keys=True)
        return hashlib.sha256(recipe.encode()).hexdigest()[:12]


MNIST_28 = {"image_size": 28, "in_channels": 1}

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in (
    ModelSpec("lenet", "lenet", "LeNet-5 CNN", "mnist", 8, MNIST_28),
    ModelSpec("resnet", "resnet", "ResNet (3 BasicBlocks, BatchNorm, residual adds)", "mnist", 8,
              MNIST_28),
    ModelSpec("mobilenetv2", "mobilenetv2", "MobileNetV2 (inverted residuals, depthwise, ReLU6)",
              "mnist", 8, MNIST_28),
    ModelSpec("vit", "vit", "ViT (7x7 patches, 2 encoder blocks, LayerNorm, GELU, softmax)",
              "mnist", 20, {**MNIST_28, "patch": 7, "dim": 64, "heads": 4, "depth": 2}),
)}


def trained(spec: ModelSpec, progress: bool = True):
    """The trained torch module of ``spec`` (eval mode), from the cache or trained now.

    Dropout draws from torch's global generator, which ``train_classifier`` does not seed,
    so it is seeded here: the same recipe always gives the same weights.
    """
    import torch
    from safetensors.torch import load_file, save_file

    model = build_untrained(spec)
    path = weights_path(spec)
    if path.exists():
        model.load_state_dict(load_file(path))
        return model.eval()
    from intq.zoo.train import train_classifier

    threads = torch.get_num_threads()
    torch.set_num_threads(TRAIN_THREADS)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spec.seed)
            train_classifier(model, dataset(spec), epochs=spec.epochs, lr=spec.lr,
                             seed=spec.seed, progress=progress)
    finally:
        torch.set_num_threads(threads)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    return model.eval()


def dataset(spec: ModelSpec):
    from intq.zoo.datasets import load

    return load(spec.dataset)


def build_untrained(spec: ModelSpec):
    """The architecture with seeded initial weights (before training or loading)."""
    from intq import zoo

    return zoo.build(spec.zoo, seed=spec.seed, **spec.kwargs)


def weights_path(spec: ModelSpec) -> Path:
    return CACHE / "weights" / f"{spec.name}-{spec.key()}.safetensors"


def export_float_onnx(module, path: Path) -> None:
    """The float ONNX every ONNX-based quantizer starts from (dynamic batch axis)."""
    from intq.frontends.torch_import import export_onnx_bytes

    data = export_onnx_bytes(module, module.example_inputs(1), input_names=["input"],
                             output_names=["output"], dynamic_axes=module.dynamic_axes())
    path.write_bytes(data)


def calibration_split(x_train: np.ndarray, size: int, seed: int = 1) -> np.ndarray:
    """``size`` training images (drawn with replacement only beyond the training set)."""
    rng = np.random.default_rng(seed)
    replace = size > len(x_train)
    return x_train[rng.choice(len(x_train), size, replace=replace)]
