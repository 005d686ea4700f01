"""The bundled digits CNN quantized with a few settings, shared by the pipeline tests."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

import intq
from intq.ir.graph import Graph
from intq.quantize.api import prepared_graph
from intq.quantize.config import QuantConfig

EXAMPLE = Path(intq.__file__).parent / "examples" / "digits_cnn.onnx"


def inputs(count: int = 64, seed: int = 0) -> np.ndarray:
    """Digit-like images: the model's input grid without needing scikit-learn."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 17, size=(count, 1, 8, 8)) / 16.0).astype(np.float32)


@functools.lru_cache(maxsize=None)
def quantized(**settings) -> tuple[Graph, intq.QuantizedModel]:
    """``(prepared float graph, quantized model)`` for ``QuantConfig(**settings)``."""
    config = QuantConfig.from_dict({k: list(v) if isinstance(v, tuple) else v
                                    for k, v in settings.items()})
    model = intq.load_onnx(EXAMPLE)
    return (prepared_graph(model, config),
            intq.quantize(model, inputs(128, seed=1), config, progress=False))
