"""The graph IR that every pass, executor and exporter works on.

A ``Graph`` is a list of ``Node`` s in topological order over named tensors (``Value`` s). Float
ops keep ONNX semantics (latest opset, attributes normalized with their defaults filled in),
so any float graph maps back to ONNX one-to-one; integer ops added by quantization live in the
same graph under their own op types. Constants (parameters) are NumPy arrays held by the
graph and treated as immutable: a pass that changes a parameter stores a new array.

Dimensions are ``int`` (static) or ``str`` (symbolic, such as ``"N"`` for a dynamic batch); a
shape of ``None`` means the rank is unknown.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from intq.errors import GraphError

Dim = int | str
Shape = tuple[Dim, ...] | None

DTYPES = ("float32", "float64", "float16", "int8", "uint8", "int16", "uint16", "int32",
          "uint32", "int64", "uint64", "bool")


class TensorType(NamedTuple):
    shape: Shape
    dtype: str


@dataclass
class QuantInfo:
    """How an integer tensor maps to reals: real = scale · q, with q of ``bits`` precision.

    ``scale`` is one float (per tensor) or a list along ``axis`` (per channel, e.g. a conv
    accumulator). ``bound`` is the proven max |q|, set by the overflow proof.
    """

    bits: int
    signed: bool = True
    scale: float | list[float] | None = None
    axis: int | None = None
    bound: int | None = None


@dataclass
class Value:
    """A named tensor: graph input, constant, or a node's output. Integer tensors of a
    quantized graph carry ``quant``; float tensors have ``quant=None``."""

    name: str
    dtype: str = "float32"
    shape: Shape = None
    quant: QuantInfo | None = None

    @property
    def type(self) -> TensorType:
        return TensorType(self.shape, self.dtype)

    def type_str(self) -> str:
        dims = "?" if self.shape is None else ",".join(str(d) for d in self.shape)
        text = f"{self.dtype}[{dims}]"
        if self.quant is not None:
            q = self.quant
            text += f"<{'i' if q.signed else 'u'}{q.bits}"
            if isinstance(q.scale, float):
                text += f" s={q.scale:.4g}"
            elif q.scale is not None:
                text += f" s[{len(q.scale)}]@{q.axis}"
            text += ">"
        return text


@dataclass
class Node:
    """One op application. ``inputs`` may hold ``""`` for an omitted optional input."""

    op: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attrs: dict[str, Any] = field(default_factory=dict)


def is_static(shape: Shape) -> bool:
    return shape is not None and all(isinstance(d, int) for d in shape)


class Graph:
    """A dataflow graph with named values, constants and topologically ordered nodes."""

    def __init__(self, name: str = "graph") -> None:
        self.name = name
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.values: dict[str, Value] = {}
        self.constants: dict[str, np.ndarray] = {}
        self.nodes: list[Node] = []
        self.meta: dict[str, Any] = {}
        self._counter = 0

    # ---- construction -------------------------------------------------------------------
    def unique_name(self, hint: str) -> str:
        """A value/node name not used yet, derived from ``hint``."""
        hint = hint or "v"
        taken = self._taken_names()
        if hint not in taken:
            return hint
        while True:
            self._counter += 1
            name = f"{hint}_{self._counter}"
            if name not in taken:
                return name

    def _taken_names(self) -> set[str]:
        names = set(self.values)
        names.update(n.name for n in self.nodes)
        return names

    def add_input(self, name: str, dtype: str = "float32", shape: Shape = None) -> str:
        if name in self.values:
            raise GraphError(f"graph input '{name}' duplicates an existing value name")
        self.values[name] = Value(name, dtype, _shape(shape))
        self.inputs.append(name)
        return name

    def add_constant(self, hint: str, array: Any, exact_name: bool = False) -> str:
        """Store ``array`` as a constant and return its (possibly uniquified) name."""
        array = np.asarray(array)
        if exact_name:
            if hint in self.values:
                raise GraphError(f"constant '{hint}' duplicates an existing value name")
            name = hint
        else:
            name = self.unique_name(hint)
        self.constants[name] = array
        self.values[name] = Value(name, array.dtype.name, tuple(int(d) for d in array.shape))
        return name

    def add_node(self, op: str, inputs: Sequence[str], outputs: Sequence[str] | int = 1,
                 name: str | None = None, attrs: dict[str, Any] | None = None,
                 index: int | None = None) -> Node:
        """Append (or insert at ``index``) a node; ``outputs`` may be a count of fresh names."""
        node_name = self.unique_name(name or op.lower())
        if isinstance(outputs, int):
            outputs = [self.unique_name(f"{node_name}_out{i}" if outputs > 1 else node_name + "_out")
                       for i in range(outputs)]
        out_names = []
        for out in outputs:
            if out in self.values and self.producer(out) is not None:
                raise GraphError(f"value '{out}' is produced twice (node '{node_name}')")
            self.values.setdefault(out, Value(out, "float32", None))
            out_names.append(out)
        node = Node(op, list(inputs), out_names, node_name, dict(attrs or {}))
        if index is None:
            self.nodes.append(node)
        else:
            self.nodes.insert(index, node)
        return node

    # ---- queries ------------------------------------------------------------------------
    def producer(self, value: str) -> Node | None:
        for node in self.nodes:
            if value in node.outputs:
                return node
        return None

    def producers(self) -> dict[str, Node]:
        return {out: node for node in self.nodes for out in node.outputs}

    def consumers(self) -> dict[str, list[Node]]:
        users: dict[str, list[Node]] = {}
        for node in self.nodes:
            for inp in node.inputs:
                if inp:
                    users.setdefault(inp, []).append(node)
        return users

    def is_constant(self, value: str) -> bool:
        return value in self.constants

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise GraphError(f"no node named '{name}' in graph '{self.name}'")

    def param_count(self) -> int:
        """Number of parameters: elements of floating-point constants with more than one element."""
        return int(sum(a.size for a in self.constants.values()
                       if a.dtype.kind == "f" and a.size > 1))

    def op_histogram(self) -> dict[str, int]:
        hist: dict[str, int] = {}
        for node in self.nodes:
            hist[node.op] = hist.get(node.op, 0) + 1
        return dict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])))

    # ---- editing ------------------------------------------------------------------------
    def replace_uses(self, old: str, new: str) -> None:
        """Make every consumer of ``old`` read ``new``; graph outputs keep their names."""
        for node in self.nodes:
            node.inputs = [new if i == old else i for i in node.inputs]
        if old in self.outputs:
            producer = self.producer(new)
            if (producer is not None and new not in self.outputs and new not in self.inputs):
                self.rename_value(new, old, keep_old_slot=True)
            else:
                self.add_node("Identity", [new], [old], name=f"{old}_identity")

    def rename_value(self, old: str, new: str, keep_old_slot: bool = False) -> None:
        """Rename a value everywhere. With ``keep_old_slot`` the target name may already be a
        (now unproduced) graph output, which is then taken over."""
        if new in self.values and not keep_old_slot:
            raise GraphError(f"cannot rename '{old}' to '{new}': the name is taken")
        value = self.values.pop(old)
        value.name = new
        self.values[new] = value
        if old in self.constants:
            self.constants[new] = self.constants.pop(old)
        for node in self.nodes:
            node.inputs = [new if i == old else i for i in node.inputs]
            node.outputs = [new if o == old else o for o in node.outputs]
        self.inputs = [new if i == old else i for i in self.inputs]
        self.outputs = [new if o == old else o for o in self.outputs]

    def remove_node(self, node: Node) -> None:
        self.nodes.remove(node)

    def prune(self) -> int:
        """Drop nodes, constants and values that no graph output depends on; return #nodes removed."""
        live = set(self.outputs)
        kept: list[Node] = []
        for node in reversed(self.nodes):
            if any(o in live for o in node.outputs):
                kept.append(node)
                live.update(i for i in node.inputs if i)
        removed = len(self.nodes) - len(kept)
        self.nodes = kept[::-1]
        live.update(self.inputs)
        for node in self.nodes:
            live.update(node.outputs)
        for name in list(self.values):
            if name not in live:
                del self.values[name]
                self.constants.pop(name, None)
        return removed

    def toposort(self) -> None:
        """Reorder nodes topologically (stable); raise ``GraphError`` on a cycle or dangling input."""
        available = set(self.inputs) | set(self.constants) | {""}
        producers = self.producers()
        pending = list(self.nodes)
        ordered: list[Node] = []
        while pending:
            progress = []
            rest = []
            for node in pending:
                (progress if all(i in available for i in node.inputs) else rest).append(node)
            if not progress:
                node = rest[0]
                missing = [i for i in node.inputs if i not in available]
                if any(m not in producers for m in missing):
                    bad = next(m for m in missing if m not in producers)
                    raise GraphError(f"node '{node.name}' ({node.op}) reads '{bad}', "
                                     "which is no input, constant or node output")
                raise GraphError(f"graph '{self.name}' has a cycle through node '{node.name}'")
            for node in progress:
                available.update(node.outputs)
            ordered.extend(progress)
            pending = rest
        self.nodes = ordered

    def validate(self) -> None:
        """Check the invariants every pass relies on; raise ``GraphError`` naming the culprit."""
        seen_nodes: set[str] = set()
        defined = set(self.inputs) | set(self.constants) | {""}
        for name in self.inputs:
            if name in self.constants:
                raise GraphError(f"'{name}' is both a graph input and a constant")
        for name, array in self.constants.items():
            if name not in self.values:
                raise GraphError(f"constant '{name}' has no value entry")
        for node in self.nodes:
            if node.name in seen_nodes:
                raise GraphError(f"two nodes are named '{node.name}'")
            seen_nodes.add(node.name)
            for inp in node.inputs:
                if inp not in defined:
                    raise GraphError(f"node '{node.name}' ({node.op}) reads '{inp}' before it is "
                                     "defined (not topologically ordered, or dangling)")
            for out in node.outputs:
                if out in defined:
                    raise GraphError(f"value '{out}' is defined twice (node '{node.name}')")
                if out not in self.values:
                    raise GraphError(f"node '{node.name}' output '{out}' has no value entry")
                defined.add(out)
        for out in self.outputs:
            if out not in defined:
                raise GraphError(f"graph output '{out}' is never produced")

    def copy(self) -> Graph:
        """A structural deep copy; constant arrays are shared (they are never mutated in place)."""
        other = Graph(self.name)
        other.inputs = list(self.inputs)
        other.outputs = list(self.outputs)
        other.values = {k: Value(v.name, v.dtype, v.shape, copy.copy(v.quant))
                        for k, v in self.values.items()}
        other.constants = dict(self.constants)
        other.nodes = [Node(n.op, list(n.inputs), list(n.outputs), n.name, copy.deepcopy(n.attrs))
                       for n in self.nodes]
        other.meta = copy.deepcopy(self.meta)
        other._counter = self._counter
        return other

    # ---- printing -----------------------------------------------------------------------
    def __str__(self) -> str:
        def arg(name: str) -> str:
            if name == "":
                return "_"
            if name in self.constants:
                const = self.constants[name]
                if const.size <= 4:
                    return f"{name}={_short(const)}"
                return f"{name}:{self.values[name].type_str()}"
            return f"%{name}"

        ins = ", ".join(f"%{i}: {self.values[i].type_str()}" for i in self.inputs)
        outs = ", ".join(f"%{o}: {self.values[o].type_str()}" for o in self.outputs)
        lines = [f"graph {self.name}({ins}) -> ({outs}) {{"]
        for node in self.nodes:
            lhs = ", ".join(f"%{o}: {self.values[o].type_str()}" for o in node.outputs)
            attrs = ""
            if node.attrs:
                attrs = " {" + ", ".join(f"{k}={_short(v)}" for k, v in node.attrs.items()) + "}"
            args = ", ".join(arg(i) for i in node.inputs)
            lines.append(f"  {lhs} = {node.op}({args}){attrs}  # {node.name}")
        lines.append("}")
        return "\n".join(lines)


def _shape(shape: Iterable[Dim] | None) -> Shape:
    if shape is None:
        return None
    return tuple(d if isinstance(d, str) else int(d) for d in shape)


def _short(v: Any) -> str:
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return repr(v.item())
        return "[" + ", ".join(repr(x) for x in v.ravel().tolist()) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v) if isinstance(v, str) else str(v)
