"""Models and data the example configs in ``configs/`` name as ``module:function``.

Nothing here downloads: the digits come with scikit-learn, the zoo models are the project's
own architectures with seeded weights (needs torch), and their data are seeded random inputs
of the right shape and dtype. Random models have no meaningful labels, so their configs
measure ``agreement`` between the float and the integer model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from intq.model import FloatModel


def digits_train() -> np.ndarray:
    """The training images of scikit-learn's digits, (N, 1, 8, 8) in [0, 1]."""
    from intq.zoo.datasets import digits

    return digits().x_train


def digits_test() -> tuple[np.ndarray, np.ndarray]:
    """The held-out digits and their labels (the split ``intq.zoo.datasets.digits`` makes)."""
    from intq.zoo.datasets import digits

    data = digits()
    return data.x_test, data.y_test


def zoo_model(name: str, seed: int = 0, **model_args: Any) -> FloatModel:
    """Zoo model ``name`` with weights drawn from ``seed``, through ONNX with its dynamic
    axes kept."""
    from intq import zoo
    from intq.frontends.onnx_import import import_onnx
    from intq.frontends.torch_import import export_onnx_bytes

    module = zoo.build(name, seed=seed, **model_args)
    data = export_onnx_bytes(module, module.example_inputs(), dynamic_axes=module.dynamic_axes())
    return FloatModel(import_onnx(data))


def zoo_inputs(name: str, count: int = 64, seed: int = 1,
               sizes: Mapping[str, int] | None = None, **model_args: Any) -> np.ndarray:
    """``count`` random inputs for zoo model ``name`` (``sizes`` fixes symbolic dims such as a
    sequence length ``T``)."""
    from intq import zoo

    module = zoo.build(name, **model_args)
    return module.example_inputs(count, seed=seed, **dict(sizes or {}))[0].numpy()
