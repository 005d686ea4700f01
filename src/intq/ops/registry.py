"""The op registry: one ``OpDef`` per op type holds everything intq knows about that op.

An ``OpDef`` declares its attributes (with defaults), its float reference (``evaluate``, NumPy,
ONNX semantics) and its shape rule (``infer``). Later layers look ops up here (quantize rule,
integer kernel, export rule live on the same class), so adding an op touches one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from intq.errors import UnsupportedOpError
from intq.ir.graph import Dim, Shape, TensorType

REQUIRED = object()
"""Marker for an attribute without default."""

_REGISTRY: dict[str, OpDef] = {}


class OpDef:
    """Knowledge about one op type. Subclasses set ``op_type`` and ``attrs`` and override
    ``evaluate`` (always) and ``infer`` (when the generic rule below is not enough).

    An attribute default is a value, ``REQUIRED``, or a function of the node's given
    attributes (Conv's ``strides`` default to ones of ``kernel_shape``'s rank)."""

    op_type: ClassVar[str] = ""
    attrs: ClassVar[dict[str, Any]] = {}
    num_outputs: ClassVar[int] = 1
    shape_inputs: ClassVar[tuple[int, ...]] = ()
    """Indices of integer inputs whose values steer the output shape (Reshape's shape...)."""
    evaluate_first: Callable[..., list[np.ndarray]] | None = None
    """Optional ``(attrs, *inputs) -> [first output]``, exactly ``evaluate``'s first output,
    for ops with costly trailing outputs (MaxPool's Indices): both executors call it for a
    node whose other outputs are omitted."""

    def evaluate(self, attrs: dict[str, Any], *inputs: np.ndarray | None) -> list[np.ndarray]:
        """Float (or integer-shape) reference computation with ONNX semantics."""
        raise NotImplementedError

    def evaluate_fast(self, attrs: dict[str, Any], *inputs: np.ndarray | None
                      ) -> list[np.ndarray]:
        """The fast path; must return exactly the bytes ``evaluate`` returns. Integer ops
        override it with kernels that are exact under the conditions the overflow proof
        established (e.g. float64 BLAS while partial sums stay below 2^53)."""
        return self.evaluate(attrs, *inputs)

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        """Output types from input types; ``consts`` holds input values known statically.

        The generic rule evaluates the op twice on zero tensors, with every symbolic dimension
        set to two different probe sizes: output dimensions that follow the probe are symbolic
        (named after the input dimension they track), the rest are static. Ops whose output
        depends on a non-constant integer input get unknown shapes.
        """
        return infer_by_probing(self, attrs, types, consts)


def register(cls: type[OpDef]) -> type[OpDef]:
    """Class decorator adding an ``OpDef`` to the registry."""
    if not cls.op_type:
        raise ValueError(f"{cls.__name__} has no op_type")
    if cls.op_type in _REGISTRY:
        raise ValueError(f"op type '{cls.op_type}' registered twice")
    _REGISTRY[cls.op_type] = cls()
    return cls


def get_op(op_type: str, node_name: str | None = None) -> OpDef:
    try:
        return _REGISTRY[op_type]
    except KeyError:
        where = f" (node '{node_name}')" if node_name else ""
        raise UnsupportedOpError(
            f"op type '{op_type}'{where} is not an intq op; a graph built by hand may use only "
            "registered ops (intq.ops.registered_ops()), while intq.load_onnx runs such nodes "
            "in ONNX Runtime") from None


def is_registered(op_type: str) -> bool:
    return op_type in _REGISTRY


def registered_ops() -> list[str]:
    return sorted(_REGISTRY)


def normalize_attrs(op_type: str, attrs: dict[str, Any], node_name: str = "") -> dict[str, Any]:
    """Fill defaults and reject unknown or missing attributes for ``op_type``."""
    opdef = get_op(op_type, node_name)
    unknown = set(attrs) - set(opdef.attrs)
    if unknown:
        raise UnsupportedOpError(
            f"node '{node_name}' ({op_type}) has unsupported attribute(s) {sorted(unknown)}")
    out = {}
    for key, default in opdef.attrs.items():
        if key in attrs:
            out[key] = attrs[key]
        elif default is REQUIRED:
            raise UnsupportedOpError(f"node '{node_name}' ({op_type}) lacks attribute '{key}'")
        elif callable(default):
            out[key] = default(attrs)
        else:
            out[key] = list(default) if isinstance(default, list) else default
    return out


_PROBES = ((7, 11, 13, 17, 19, 23), (29, 31, 37, 41, 43, 47))


def infer_by_probing(opdef: OpDef, attrs: dict[str, Any], types: Sequence[TensorType | None],
                     consts: Sequence[np.ndarray | None]) -> list[TensorType]:
    symbols: list[str] = []
    for t in types:
        if t is not None and t.shape is not None:
            for d in t.shape:
                if isinstance(d, str) and d not in symbols:
                    symbols.append(d)
    if len(symbols) > len(_PROBES[0]):
        return _unknown_like(opdef, types)
    results = []
    for probe in _PROBES if symbols else _PROBES[:1]:
        sizes = dict(zip(symbols, probe))
        args: list[np.ndarray | None] = []
        for index, (t, c) in enumerate(zip(types, consts)):
            if c is not None:
                args.append(c)
            elif t is None:
                args.append(None)
            elif t.shape is None or index in opdef.shape_inputs:
                return _unknown_like(opdef, types)
            else:
                args.append(np.zeros([sizes.get(d, d) for d in t.shape], dtype=t.dtype))
        try:
            with np.errstate(all="ignore"):
                results.append(opdef.evaluate(attrs, *args))
        except Exception:  # noqa: BLE001 - a probe the op rejects tells us nothing
            return _unknown_like(opdef, types)
    out = []
    for i, arr in enumerate(results[0]):
        shape: list[Dim] = []
        for axis, d in enumerate(arr.shape):
            d2 = results[-1][i].shape[axis]
            if d == d2:
                shape.append(int(d))
            else:
                shape.append(next((sym for k, sym in enumerate(symbols)
                                   if _PROBES[0][k] == d and _PROBES[1][k] == d2), "?"))
        out.append(TensorType(tuple(shape), arr.dtype.name))
    return out


def _unknown_like(opdef: OpDef, types: Sequence[TensorType | None]) -> list[TensorType]:
    dtype = next((t.dtype for t in types if t is not None), "float32")
    return [TensorType(None, dtype)] * opdef.num_outputs


def broadcast_shapes(*shapes: Shape) -> Shape:
    """NumPy broadcasting over possibly symbolic shapes (a symbol broadcasts only with 1)."""
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)
    out: list[Dim] = []
    for axis in range(rank):
        dims = [s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0]
        non_one = [d for d in dims if d != 1]
        if not non_one:
            out.append(1)
            continue
        static = [d for d in non_one if isinstance(d, int)]
        if static:
            if len(set(static)) > 1:
                raise ValueError(f"shapes {shapes} do not broadcast")
            out.append(static[0])
        else:
            out.append(non_one[0])
    return tuple(out)
