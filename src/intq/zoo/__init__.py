"""Model architectures defined in the project (PyTorch; torchvision is not available here).

Importing this package needs torch. ``build(name, seed)`` gives a reproducibly initialized
model in eval mode; every model describes its own input (see ``ZooModule``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intq.errors import IntqError

try:
    import torch
except ImportError:
    raise IntqError("intq.zoo needs PyTorch; pip install intq[torch]") from None

from intq.zoo.base import ZooModule, randomize_norms
from intq.zoo.crnn import CRNN
from intq.zoo.efficientnet_lite import EfficientNetLite
from intq.zoo.lenet import LeNet
from intq.zoo.mlp import MLP
from intq.zoo.mobilenetv2 import MobileNetV2
from intq.zoo.resnet import ResNet
from intq.zoo.transformer import TransformerClassifier
from intq.zoo.vit import ViT

__all__ = ["MODELS", "ZooModule", "build"]

MODELS: dict[str, Callable[..., ZooModule]] = {
    "mlp": MLP,
    "lenet": LeNet,
    "resnet": ResNet,
    "mobilenetv2": MobileNetV2,
    "efficientnet_lite": EfficientNetLite,
    "transformer": TransformerClassifier,
    "crnn": CRNN,
    "vit": ViT,
}


def build(name: str, seed: int = 0, **kwargs: Any) -> ZooModule:
    """Construct zoo model ``name`` with weights drawn from ``seed``, in eval mode.

    The global torch RNG is left as it was, so building a model never perturbs the caller.
    """
    if name not in MODELS:
        raise IntqError(f"unknown zoo model '{name}'; choose one of {', '.join(MODELS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MODELS[name](**kwargs)
        randomize_norms(model)
    return model.eval()
