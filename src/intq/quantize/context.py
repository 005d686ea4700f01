"""The state of one lowering: the float graph, the integer graph being built, and the map
between their tensors.

Every float tensor of the source graph may have an integer form (an activation: per-tensor
scale, declared precision) and a float form in the new graph. Rules ask for the form they need
(``integer`` / ``float_``); a missing form is made on demand by one ``Quantize`` (with the
tensor's calibrated scale) or one ``Dequantize``. That single mechanism joins integer and float
regions, whether a node stays float because it has no rule, is restored, or lies past a split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from intq.calibration.observer import Observer
from intq.ir.graph import Graph, Node, QuantInfo
from intq.ops.integer.base import IntegerOp
from intq.ops.integer.ranges import IntRange, union
from intq.ops.registry import get_op, normalize_attrs
from intq.passes.matching import Uses
from intq.quant.fixedpoint import int_range
from intq.quantize.config import QuantConfig
from intq.quantize.errors import QuantizeError, UnboundedError
from intq.quantize.scales import (activation_quant, constant_quant, quantize_to, quantize_weight,
                                  requant_multipliers)


class Lowering:
    """One float graph being turned into its integer image ``out``."""

    def __init__(self, src: Graph, observers: Mapping[str, Observer], config: QuantConfig,
                 restored: Mapping[str, str] | None = None) -> None:
        self.src = src
        self.restored = dict(restored or {})
        """Source nodes the config keeps in float, with the reason."""
        self.observers = observers
        self.config = config
        self.uses = Uses(src)
        self.out = Graph(src.name)
        self.ints: dict[str, str] = {}
        self.floats: dict[str, str] = {}
        self.ranges: dict[str, IntRange] = {}
        self.consumed: set[str] = set()
        self.float_nodes: dict[str, str] = {}
        """Nodes of ``out`` that compute in float, with the reason (restore, split, no rule)."""
        self.bias_adjustments: dict[str, dict] = {}
        """Weight scales raised so a bias fits int32, by ``node:channel`` (``fit_bias``)."""
        self._weights: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    # ---- questions about the source graph ----------------------------------------------------
    def is_float(self, name: str) -> bool:
        return bool(name) and np.dtype(self.src.values[name].dtype).kind == "f"

    def constant(self, name: str) -> np.ndarray | None:
        return self.src.constants.get(name) if name else None

    def weight(self, name: str, array: np.ndarray, bits: int, axis: int, per_channel: bool
               ) -> tuple[np.ndarray, np.ndarray]:
        """``scales.quantize_weight`` of the constant ``name`` (``array``, its value or a form
        derived from it alone), once per setting: an unrolled recurrence reads one weight at
        every step, and its clipping search costs as much each time."""
        key = (name, array.shape, bits, axis, per_channel, self.config.weight_clipping)
        if key not in self._weights:
            self._weights[key] = quantize_weight(array, bits, axis, per_channel,
                                                 self.config.weight_clipping)
        q, scales = self._weights[key]
        return q.copy(), scales.copy()

    def producer(self, name: str) -> Node | None:
        return self.uses.producer.get(name)

    def act_bits(self, *nodes: Node) -> int:
        """Activation bits of the first node with a per-layer setting, else the global one."""
        for node in nodes:
            if node.name in self.config.per_layer and self.config.per_layer[node.name].act_bits:
                return self.config.act_bits_for(node.name)
        return self.config.act_bits

    def act_quant(self, tensor: str, bits: int | None = None, non_negative: bool = False
                  ) -> QuantInfo:
        """The calibrated grid of float tensor ``tensor``."""
        observer = self.observers.get(tensor)
        if observer is None:
            raise QuantizeError(f"tensor '{tensor}' has no calibration statistics; calibrate "
                                "the prepared graph before lowering it")
        if bits is None:
            producer = self.producer(tensor)
            bits = self.act_bits(producer) if producer is not None else self.config.act_bits
        return activation_quant(observer, bits, non_negative)

    # ---- the two forms of a tensor -----------------------------------------------------------
    def integer(self, tensor: str) -> str:
        """The integer form of a source tensor (non-float tensors are their own form)."""
        if tensor in self.ints:
            return self.ints[tensor]
        if not self.is_float(tensor):
            return self.plain(tensor)
        array = self.constant(tensor)
        if array is not None:
            quant = constant_quant(array, self.config.act_bits)
            name = self.add_const(f"{tensor}_q", quantize_to(array, quant), quant)
        elif tensor in self.floats:
            quant = self.act_quant(tensor)
            name = self.emit("Quantize", [self.floats[tensor]],
                             {"scale": quant.scale, "bits": quant.bits,
                              "signed": int(quant.signed)}, name=f"{tensor}_quantize",
                             outputs=[self.fresh(f"{tensor}_q")], quant=[quant])[0]
        else:
            raise QuantizeError(f"tensor '{tensor}' is read before it is computed; the float "
                                "graph is not topologically ordered")
        self.ints[tensor] = name
        return name

    def integer_at(self, tensor: str, quant: QuantInfo) -> str:
        """The integer form on the grid ``quant``: constants are quantized onto it directly,
        activations are requantized."""
        array = self.constant(tensor)
        if array is not None and self.is_float(tensor):
            return self.add_const(f"{tensor}_q", quantize_to(array, quant), quant)
        return self.rescale(self.integer(tensor), quant)

    def float_(self, tensor: str) -> str:
        """The float form of a source tensor, dequantizing its integer form if needed."""
        if tensor in self.floats:
            return self.floats[tensor]
        if not self.is_float(tensor) or tensor in self.src.constants:
            return self.plain(tensor)
        source = self.integer(tensor)
        quant = self.quant(source)
        name = self.emit("Dequantize", [source], {"scale": quant.scale},
                         name=f"{tensor}_dequantize", outputs=[self.float_name(tensor)])[0]
        self.floats[tensor] = name
        return name

    def int_name(self, tensor: str) -> str:
        return self.fresh(f"{tensor}_q")

    def float_name(self, tensor: str) -> str:
        """Float forms keep the source name; graph outputs get theirs only at the end."""
        if tensor in self.src.outputs or tensor in self.out.values:
            return self.fresh(f"{tensor}_float")
        return tensor

    def plain(self, name: str) -> str:
        """A non-float tensor or constant, under its own name (constants copied once)."""
        if name and name in self.src.constants and name not in self.out.values:
            self.out.add_constant(name, self.src.constants[name], exact_name=True)
        return name

    # ---- building the integer graph ----------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A name free in both graphs, so it never shadows a source tensor's float form."""
        name = self.out.unique_name(hint)
        while name in self.src.values:
            name = self.out.unique_name(f"{name}_")
        return name

    def quant(self, name: str) -> QuantInfo:
        quant = self.out.values[name].quant
        if quant is None:
            raise QuantizeError(f"value '{name}' of the integer graph has no quantization")
        return quant

    def add_const(self, hint: str, array: np.ndarray, quant: QuantInfo | None = None) -> str:
        array = np.asarray(array)
        name = self.out.add_constant(self.fresh(hint), np.ascontiguousarray(array).reshape(
            array.shape))
        self.out.values[name].quant = _own(quant)
        if array.dtype.kind in "iu":
            self.ranges[name] = IntRange.of_array(array)
        return name

    def emit(self, op: str, inputs: Sequence[str], attrs: dict[str, Any] | None = None, *,
             name: str, outputs: Sequence[str] | int = 1,
             quant: Sequence[QuantInfo | None] | None = None) -> list[str]:
        """Append a node to the integer graph; infer its output types and integer ranges."""
        node_name = self.fresh(name)
        attrs = normalize_attrs(op, dict(attrs or {}), node_name)
        if isinstance(outputs, int):
            outputs = [self.fresh(f"{node_name}_out{i}" if outputs > 1 else f"{node_name}_out")
                       for i in range(outputs)]
        node = self.out.add_node(op, inputs, outputs, name=node_name, attrs=attrs)
        opdef = get_op(op, node_name)
        types = [self.out.values[i].type if i else None for i in node.inputs]
        consts = [self.out.constants.get(i) if i else None for i in node.inputs]
        try:
            inferred = opdef.infer(attrs, types, consts)
        except ValueError as exc:
            raise QuantizeError(f"node '{node_name}' ({op}): {exc}") from None
        for index, (out, t) in enumerate(zip(node.outputs, inferred)):
            value = self.out.values[out]
            value.shape, value.dtype = t.shape, t.dtype
            if quant is not None and index < len(quant):
                value.quant = _own(quant[index])
        self._track_ranges(node, opdef, types, consts)
        return list(node.outputs)

    def _track_ranges(self, node: Node, opdef: Any, types: list, consts: list) -> None:
        ranges = [self.ranges.get(i) if i else None for i in node.inputs]
        if isinstance(opdef, IntegerOp):
            try:
                found = opdef.value_range(node.attrs, ranges, consts, types)
            except ValueError as exc:
                raise UnboundedError(f"node '{node.name}' ({node.op}): {exc}") from None
        else:
            data = [r.hull() for i, r in zip(node.inputs, ranges)
                    if r is not None and self.out.values[i].quant is not None]
            found = [union(data) if data else None] * len(node.outputs)
        for out, r in zip(node.outputs, found):
            if r is not None and np.dtype(self.out.values[out].dtype).kind in "iu":
                self.ranges[out] = r

    def accumulate(self, op: str, inputs: Sequence[str], attrs: dict[str, Any], *, node: Node,
                   scale: np.ndarray, axis: int | None = None) -> str:
        """Emit an accumulating integer op for ``node`` (real value ``acc * scale``, one scale
        or one per channel along ``axis``); it starts 64 bits wide until the overflow proof
        narrows it (``runtime.overflow.fit_accumulators``)."""
        scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
        per_channel = scale.size > 1
        quant = QuantInfo(64, True, scale.tolist() if per_channel else float(scale[0]),
                          axis if per_channel else None)
        return self.emit(op, inputs, {**attrs, "acc_bits": 64}, name=node.name,
                         outputs=[self.fresh(f"{node.outputs[0]}_acc")], quant=[quant])[0]

    def requantize(self, acc: str, reals: np.ndarray | float, target: QuantInfo, *, name: str,
                   axis: int | None = None, lo: int | None = None, hi: int | None = None,
                   output: str | None = None) -> str:
        """``Requantize`` an accumulator by the real factor(s) ``reals`` (one per channel along
        ``axis``, or one) onto ``target``, clamped to ``[lo, hi]`` (default: full range)."""
        reals = np.atleast_1d(np.asarray(reals, dtype=np.float64))
        bound = self.ranges[acc].magnitude() if acc in self.ranges else _dtype_bound(self, acc)
        m, k = requant_multipliers(reals, bound)
        if reals.size == 1 or (np.all(m == m[0]) and np.all(k == k[0])):
            m, k, axis = m[:1].reshape(()), k[:1].reshape(()), None
        attrs = precision_attrs(target, lo, hi)
        if axis is not None:
            attrs["axis"] = axis
        m_name = self.add_const(f"{name}_m", narrowest(m, np.int32))
        k_name = self.add_const(f"{name}_k", narrowest(k, np.int8))
        outputs = [output] if output else 1
        return self.emit("Requantize", [acc, m_name, k_name], attrs, name=name, outputs=outputs,
                         quant=[target])[0]

    def rescale(self, value: str, target: QuantInfo) -> str:
        """An activation moved onto another per-tensor grid (unchanged if already on it)."""
        quant = self.quant(value)
        if (quant.bits, quant.signed, quant.scale) == (target.bits, target.signed, target.scale):
            return value
        return self.requantize(value, quant.scale / target.scale, target,
                               name=f"{value}_rescale")

    # ---- bookkeeping -------------------------------------------------------------------------
    def checkpoint(self) -> tuple:
        """The state to return to if a rule's emitted nodes must be taken back."""
        return (len(self.out.nodes), set(self.out.values), dict(self.ints), dict(self.floats),
                set(self.consumed), dict(self.bias_adjustments))

    def rollback(self, state: tuple) -> None:
        count, values, self.ints, self.floats, self.consumed, self.bias_adjustments = state
        del self.out.nodes[count:]
        for name in set(self.out.values) - values:
            del self.out.values[name]
            self.out.constants.pop(name, None)
            self.ranges.pop(name, None)

    def define(self, tensor: str, value: str) -> None:
        """Record ``value`` as the integer form of source tensor ``tensor``."""
        self.ints[tensor] = value

    def consume(self, *nodes: Node) -> None:
        """Mark source nodes as lowered by another node's rule (fused into it)."""
        self.consumed.update(n.name for n in nodes)

    def keep_float(self, node: Node, reason: str) -> None:
        """Copy a source node as it is; its float inputs come from their float forms."""
        inputs = [self.float_(i) if i and self.is_float(i) else self.plain(i)
                  for i in node.inputs]
        outputs = []
        for out in node.outputs:
            if not out:
                outputs.append("")
            elif self.is_float(out):
                outputs.append(self.float_name(out))
                self.floats[out] = outputs[-1]
            else:
                outputs.append(out)
        copy = self.out.add_node(node.op, inputs, outputs, name=self.fresh(node.name),
                                 attrs=node.attrs)
        for old, new in zip(node.outputs, outputs):
            if new:
                source = self.src.values[old]
                value = self.out.values[new]
                value.shape, value.dtype = source.shape, source.dtype
        self.float_nodes[copy.name] = reason

    def copy_plain(self, node: Node) -> None:
        """Copy a node that computes on no float tensor (shape arithmetic, token ids)."""
        self.emit(node.op, [self.plain(i) for i in node.inputs], node.attrs, name=node.name,
                  outputs=list(node.outputs))


def precision_attrs(target: QuantInfo, lo: int | None = None, hi: int | None = None
                    ) -> dict[str, int]:
    """``bits``/``signed``/``lo``/``hi`` attributes of an op writing onto ``target``; bounds
    (from a fused Relu/Clip) are kept inside the precision's range."""
    full_lo, full_hi = int_range(target.bits, target.signed)
    lo = full_lo if lo is None else max(full_lo, min(lo, full_hi))
    hi = full_hi if hi is None else min(full_hi, max(hi, lo))
    return {"bits": target.bits, "signed": int(target.signed), "lo": lo, "hi": hi}


def narrowest(array: np.ndarray, dtype: type[np.integer]) -> np.ndarray:
    """``array`` stored as ``dtype`` when every entry fits (multipliers ``m < 2^31`` fit int32,
    shifts ``k <= 62`` fit int8), else unchanged: smaller files, same integers."""
    info = np.iinfo(dtype)
    if array.size and (int(array.min()) < info.min or int(array.max()) > info.max):
        return array
    return array.astype(dtype)


def _own(quant: QuantInfo | None) -> QuantInfo | None:
    """A value's own copy of a grid: the overflow proof writes each value's ``bound`` into its
    QuantInfo, so two values (a tensor and its clamped copy) must never share one."""
    return None if quant is None else dataclasses.replace(quant)


def _dtype_bound(ctx: Lowering, value: str) -> int:
    info = np.iinfo(np.dtype(ctx.out.values[value].dtype))
    return max(-int(info.min), int(info.max))
