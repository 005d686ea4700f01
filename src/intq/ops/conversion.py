"""Ops that pass values through, possibly converting their dtype: Cast, CastLike, Identity,
Dropout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import DTYPES, TensorType
from intq.ops.base import SameTypeOp
from intq.ops.registry import REQUIRED, OpDef, register


def _cast(x: np.ndarray, dtype: str) -> np.ndarray:
    """C-style conversion as ONNX Runtime does it: floats truncate toward zero into integers."""
    if dtype not in DTYPES:
        raise UnsupportedOpError(f"Cast to '{dtype}' is not supported; use one of {list(DTYPES)}")
    with np.errstate(invalid="ignore", over="ignore"):
        return x.astype(dtype)


@register
class Cast(OpDef):
    """Convert to dtype ``to``.

    In the IR ``to`` is a NumPy dtype name (``"float32"``, ``"int64"``, ``"bool"``...), not
    ONNX's integer enum; the importer converts. ``saturate`` only concerns float8 and is kept
    for fidelity.
    """

    op_type = "Cast"
    attrs = {"to": REQUIRED, "saturate": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [_cast(x, attrs["to"])]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, attrs["to"])]


@register
class CastLike(OpDef):
    """Convert input 0 to the dtype of input 1 (whose values are ignored)."""

    op_type = "CastLike"
    attrs = {"saturate": 1}

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, like: np.ndarray
                 ) -> list[np.ndarray]:
        return [_cast(x, like.dtype.name)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [TensorType(types[0].shape, types[1].dtype)]


@register
class Identity(SameTypeOp):
    op_type = "Identity"

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray) -> list[np.ndarray]:
        return [x]


@register
class Dropout(OpDef):
    """Inference-mode dropout: output = input, optional mask all true.

    A constant-true ``training_mode`` input is rejected: intq models are inference models.
    """

    op_type = "Dropout"
    attrs = {"seed": None}
    num_outputs = 2

    def evaluate(self, attrs: dict[str, Any], x: np.ndarray, ratio: np.ndarray | None = None,
                 training_mode: np.ndarray | None = None) -> list[np.ndarray]:
        if training_mode is not None and bool(np.asarray(training_mode).reshape(-1)[0]):
            raise UnsupportedOpError("Dropout with training_mode=true is not supported; export "
                                     "the model in eval mode")
        return [x, np.ones(x.shape, dtype=bool)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        return [types[0], TensorType(types[0].shape, "bool")]
