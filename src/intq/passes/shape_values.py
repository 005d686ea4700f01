"""What is known about the small integer tensors exporters compute from tensor shapes.

torch and other exporters build Reshape targets at run time: ``Shape(x) → Gather(0) →
Unsqueeze → Concat(…, [-1])``. Each element of such a tensor is either a known ``int`` or a
``DimRef`` saying which dimension of which tensor it equals. Tracking elements through the
few ops of these chains lets ``fold_constants`` turn a target into a constant that is right
for every batch size: a ``DimRef`` to the reshaped tensor's own axis ``i`` at position ``i``
becomes ``0`` ("copy that dim"), and one remaining unknown becomes ``-1``. A ``DimRef`` also
matches a dimension carrying the same symbol, by the IR's rule that equal symbols are equal
sizes; ``"?"`` matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intq.ir.graph import Graph, Node

_CAST_TO_INT = frozenset({"int32", "int64"})


@dataclass(frozen=True)
class DimRef:
    """A run-time dimension: axis ``axis`` of ``source`` (named ``symbol``); opaque if all None."""

    symbol: str | None = None
    source: str | None = None
    axis: int | None = None

    def equals_dim(self, value: str, axis: int, dim: int | str) -> bool:
        """Whether this element is certainly dimension ``axis`` (of size ``dim``) of ``value``."""
        if self.source == value and self.axis == axis:
            return True
        return self.symbol not in (None, "?") and self.symbol == dim


OPAQUE = DimRef()


class ShapeValues:
    """Element-wise knowledge about integer shape tensors, filled in topological order."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.known: dict[str, np.ndarray] = {}
        """value name → object array of ``int`` / ``DimRef`` with the value's shape."""

    def get(self, name: str) -> np.ndarray | None:
        """Elements of ``name`` if known at all (constants count, opaque elements allowed)."""
        if not name:
            return None
        if name in self.known:
            return self.known[name]
        if name in self.graph.constants:
            array = self.graph.constants[name]
            if array.dtype.kind in "iu" and array.ndim <= 1:
                return np.array(array.tolist(), dtype=object).reshape(array.shape)
            return None
        value = self.graph.values[name]
        shape = value.shape
        if (np.dtype(value.dtype).kind in "iu" and shape is not None and len(shape) <= 1
                and all(isinstance(d, int) for d in shape)):
            return np.full(shape, OPAQUE, dtype=object)
        return None

    def track(self, node: Node) -> np.ndarray | None:
        """Record what ``node`` computes; return it as an int array when fully static."""
        handler = getattr(self, f"_{node.op.lower()}", None)
        if handler is None or len(node.outputs) != 1:
            return None
        try:
            elements = handler(node)
        except (IndexError, ValueError, TypeError, np.exceptions.AxisError):
            return None
        if elements is None:
            return None
        elements = _as_elements(elements)
        out = node.outputs[0]
        self.known[out] = elements
        if all(isinstance(e, int) for e in elements.ravel()):
            return np.array(elements.tolist(), dtype=self.graph.values[out].dtype).reshape(
                elements.shape)
        return None

    # ---- the ops of shape chains ----------------------------------------------------------
    def _shape(self, node: Node) -> np.ndarray | None:
        source = node.inputs[0]
        shape = self.graph.values[source].shape
        if shape is None:
            return None
        axes = list(range(len(shape)))[slice(node.attrs.get("start", 0), node.attrs.get("end"))]
        return _vector([shape[a] if isinstance(shape[a], int)
                        else DimRef(shape[a], source, a)
                        for a in axes])

    def _gather(self, node: Node) -> np.ndarray | None:
        data, indices = self.get(node.inputs[0]), self.graph.constants.get(node.inputs[1])
        if data is None or indices is None or data.ndim != 1:
            return None
        if node.attrs.get("axis", 0) not in (0, -1):
            return None
        return np.take(data, indices.astype(np.int64), axis=0)

    def _unsqueeze(self, node: Node) -> np.ndarray | None:
        data, axes = self.get(node.inputs[0]), self._const(node, 1)
        if data is None or axes is None:
            return None
        return np.expand_dims(data, tuple(int(a) for a in axes.ravel()))

    def _squeeze(self, node: Node) -> np.ndarray | None:
        data = self.get(node.inputs[0])
        if data is None:
            return None
        axes = self._const(node, 1)
        if axes is None:
            if len(node.inputs) > 1 and node.inputs[1]:
                return None
            return np.squeeze(data)
        return np.squeeze(data, axis=tuple(int(a) for a in axes.ravel()))

    def _concat(self, node: Node) -> np.ndarray | None:
        parts = [self.get(i) for i in node.inputs]
        if any(p is None or p.ndim != 1 for p in parts) or node.attrs.get("axis") not in (0, -1):
            return None
        return _vector([e for p in parts for e in p.tolist()])

    def _slice(self, node: Node) -> np.ndarray | None:
        data = self.get(node.inputs[0])
        args = [self._const(node, i) for i in range(1, 5)]
        if data is None or data.ndim != 1 or args[0] is None or args[1] is None:
            return None
        starts, ends, axes, steps = (None if a is None else a.ravel().tolist() for a in args)
        if len(node.inputs) > 3 and node.inputs[3] and axes is None:
            return None
        if len(node.inputs) > 4 and node.inputs[4] and steps is None:
            return None
        if len(starts) != 1 or (axes is not None and axes[0] not in (0, -1)):
            return None
        step = 1 if steps is None else steps[0]
        return data[slice(starts[0], ends[0], step)]

    def _cast(self, node: Node) -> np.ndarray | None:
        if node.attrs.get("to") not in _CAST_TO_INT:
            return None
        return self.get(node.inputs[0])

    def _identity(self, node: Node) -> np.ndarray | None:
        return self.get(node.inputs[0])

    def _const(self, node: Node, index: int) -> np.ndarray | None:
        if index >= len(node.inputs) or not node.inputs[index]:
            return None
        return self.graph.constants.get(node.inputs[index])


def _as_elements(elements: object) -> np.ndarray:
    """An object array, also when NumPy indexing returned a bare element."""
    if isinstance(elements, np.ndarray):
        return elements
    array = np.empty((), dtype=object)
    array[()] = elements
    return array


def _vector(elements: list) -> np.ndarray:
    array = np.empty(len(elements), dtype=object)
    array[:] = elements
    return array


def reshape_target(graph: Graph, node: Node, target: np.ndarray) -> np.ndarray | None:
    """A constant Reshape target equivalent to ``target`` for every size of its ``DimRef`` s."""
    if target.ndim != 1:
        return None
    data = node.inputs[0]
    data_shape = graph.values[data].shape
    copy_allowed = not node.attrs.get("allowzero", 0)
    result: list[int] = []
    unresolved = 0
    for axis, element in enumerate(target.tolist()):
        if isinstance(element, int):
            result.append(element)
        elif (copy_allowed and data_shape is not None and axis < len(data_shape)
              and element.equals_dim(data, axis, data_shape[axis])):
            result.append(0)
        else:
            result.append(-1)
            unresolved += 1
    fixed = [e for e in target.tolist() if isinstance(e, int)]
    if unresolved > 1 or (unresolved and (-1 in fixed or (0 in fixed and not copy_allowed))):
        return None
    return np.array(result, dtype=np.int64)
