"""intq: float networks in, integer-only bit-exact deterministic models out."""

from __future__ import annotations

import os
from typing import Any

from intq.errors import IntqError
from intq.model import FloatModel
from intq.quantize import QuantizedModel, load, quantize

__version__ = "0.1.0"
__all__ = ["FloatModel", "IntqError", "QuantizedModel", "from_torch", "load", "load_onnx",
           "quantize"]


def load_onnx(path: str | os.PathLike, **options: Any) -> FloatModel:
    """Import an ONNX file (opset 11-21, external data allowed) as a prepared float model."""
    from intq.frontends.onnx_import import import_onnx

    return FloatModel(import_onnx(path, **options))


def from_torch(module: Any, example_inputs: Any, **options: Any) -> FloatModel:
    """Import a ``torch.nn.Module`` (via the ONNX exporter) with a dynamic batch dimension."""
    from intq.frontends.torch_import import import_torch

    return FloatModel(import_torch(module, example_inputs, **options))
