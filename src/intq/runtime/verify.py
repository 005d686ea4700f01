"""Static checks of a graph read from a file, before anything in it runs.

A ``.intq`` file may be damaged or hostile. The serializer already checked its structure
(framing, schema, version, names, dtypes, shapes, scales, topological order, cycles); this adds
what needs the op registry: every op is known, its attributes are those of its schema and of
the right kinds (integer ops take integers, within the domains their kernels accept), tensors
are of sane size, integer ops read integer tensors, every constant with a declared precision
lies within it, the declared types are exactly what the shape rules infer, and the overflow
proof holds. Nothing is executed except shape rules on zero-filled tensors of declared size.

``load_verified(path)`` is the one way the CLI and ``intq.load`` read ``.intq`` files.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np

from intq.errors import IntqError, ModelFormatError
from intq.ir.graph import Graph, Node
from intq.ir.serialize import load_graph
from intq.ops.integer import IntegerOp
from intq.ops.integer.recurrent import DIRECTIONS
from intq.ops.integer.resize import COORDINATE_MODES
from intq.ops.registry import REQUIRED, OpDef, get_op, is_registered
from intq.quant.dyadic import MAX_SHIFT, PRODUCT_LIMIT
from intq.quant.fixedpoint import MAX_BITS, int_range
from intq.quant.nonlinear.exp import EXP_FRAC_BITS
from intq.quant.nonlinear.layernorm import NORM_FRAC_BITS
from intq.quant.nonlinear.softmax import MAX_OUT_BITS
from intq.runtime.overflow import prove_no_overflow

MAX_ELEMENTS = 2**31
"""Largest static tensor (elements) a loaded graph may declare or infer."""

INT64 = (-(2**63), 2**63 - 1)

_INT_ATTR_DOMAINS: dict[str, tuple[int, int]] = {
    "bits": (1, MAX_BITS), "in_bits": (1, MAX_BITS), "acc_bits": (32, 64),
    "shift": (0, 63), "k": (0, 63), "out_shift": (0, 63), "max_left_shift": (0, 63),
    "row_bits": (0, 63), "signed": (0, 1), "keepdims": (0, 1), "noop_with_empty_axes": (0, 1),
    "frac": (0, 30), "frac_bits": (0, 24), "z_bits": (1, 24), "h_bits": (2, 32),
    "linear_before_reset": (0, 1), "max_length": (0, 1 << 40),
}
"""Ranges of integer-op attributes used as bit widths, shifts or flags (kernels compute
``1 << x`` with them, so a hostile value must never reach them)."""

_STR_ATTR_DOMAINS: dict[str, tuple[str, ...]] = {"direction": tuple(DIRECTIONS),
                                                  "mode": COORDINATE_MODES}
"""Integer-op attributes that are names (a recurrence's direction, a resize's coordinate
mode), with every name the kernels know."""
_FLOAT_LIST_ATTRS = {"scales"}
"""Integer-op attributes that are lists of positive finite floats (IntResize's scales)."""

_SCALE_ATTR_OPS = ("Quantize", "Dequantize")
_LIST_ATTRS = {"kernel_shape", "multipliers", "axes", "strides", "pads",
               "mx", "kx", "mh", "kh", "mc", "kc", "my", "ky"}
"""Required list attributes of integer ops (the others' kind follows their default)."""


def load_verified(path: str | os.PathLike) -> tuple[Graph, dict[str, str]]:
    """``load_graph`` followed by ``verify_graph``: a graph that is safe to run, and the file's
    other metadata. Every failure is a one-line ``IntqError`` naming the file."""
    graph, metadata = load_graph(path)
    verify_graph(graph, str(Path(path)))
    return graph, metadata


def verify_graph(graph: Graph, label: str) -> None:
    """Raise an ``IntqError`` (naming ``label`` and the culprit) unless ``graph`` is sound.

    Overflow-proof failures keep their class (``OverflowProofError``); everything else is a
    ``ModelFormatError``. The proof records each integer tensor's proven bound in its quant.
    """
    where: list[str] = ["graph"]
    try:
        _verify(graph, where)
    except IntqError as exc:
        raise type(exc)(f"'{label}': {_first_line(exc)}") from None
    except (MemoryError, RecursionError) as exc:
        raise ModelFormatError(f"'{label}': {where[0]} is too large to check "
                               f"({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001 - any failure on hostile data means a bad file
        raise ModelFormatError(f"'{label}': {where[0]} is malformed ({type(exc).__name__}: "
                               f"{_first_line(exc)})") from None


def _verify(graph: Graph, where: list[str]) -> None:
    for node in graph.nodes:
        where[0] = f"node '{node.name}' ({node.op})"
        _check_node(graph, node)
    where[0] = "graph"
    for value in graph.values.values():
        if value.shape is not None:
            _check_size(value.shape, f"tensor '{value.name}' declares {value.type_str()}")
    for name, array in graph.constants.items():
        quant = graph.values[name].quant
        if quant is not None and array.dtype.kind in "iu" and array.size:
            lo, hi = int_range(quant.bits, quant.signed)
            if int(array.min()) < lo or int(array.max()) > hi:
                kind = "signed" if quant.signed else "unsigned"
                raise ModelFormatError(f"constant '{name}' holds values in [{int(array.min())}, "
                                       f"{int(array.max())}], outside its declared "
                                       f"{quant.bits}-bit {kind} precision")
    _check_types(graph, where)
    where[0] = "overflow proof"
    prove_no_overflow(graph)


def _check_node(graph: Graph, node: Node) -> None:
    if not is_registered(node.op):
        raise ModelFormatError(f"node '{node.name}' has unknown op type '{node.op}' (written by "
                               "a newer intq, or the file is corrupt)")
    opdef = get_op(node.op, node.name)
    integer = isinstance(opdef, IntegerOp)
    for key in node.attrs:
        if key not in opdef.attrs:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) has unknown attribute "
                                   f"'{key}'")
    missing = [k for k in opdef.attrs if k not in node.attrs]
    if missing:
        raise ModelFormatError(f"node '{node.name}' ({node.op}) lacks attribute(s) {missing}")
    for key, value in node.attrs.items():
        if not _ints_in(value, *INT64):
            raise ModelFormatError(f"node '{node.name}' ({node.op}) attribute '{key}' holds an "
                                   "integer beyond int64")
        if integer:
            if key == "scale" and node.op in _SCALE_ATTR_OPS:
                ok = _scale_attr(value, per_channel=node.op == "Dequantize")
            elif key in _STR_ATTR_DOMAINS:
                ok = isinstance(value, str) and value in _STR_ATTR_DOMAINS[key]
            elif key in _FLOAT_LIST_ATTRS:
                ok = isinstance(value, list) and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool)
                    and math.isfinite(v) and v > 0 for v in value)
            else:
                default = _default(opdef, key, node.attrs)
                wants_list = isinstance(default, list) or key in _LIST_ATTRS
                ok = isinstance(value, list) == wants_list and _int_or_ints(value)
            domain = _INT_ATTR_DOMAINS.get(key)
            if ok and domain is not None:
                ok = isinstance(value, int) and domain[0] <= value <= domain[1]
        else:
            ok = _same_kind(value, _default(opdef, key, node.attrs))
        if not ok:
            raise ModelFormatError(f"node '{node.name}' ({node.op}) attribute '{key}' has an "
                                   f"invalid value {_short(value)}")
    if node.op == "Dequantize" and isinstance(node.attrs["scale"], list) and node.inputs[:1]:
        _check_channels(graph, node, node.inputs[0], len(node.attrs["scale"]), "scale")
    if node.op == "Requantize" and len(node.inputs) == 3:
        for inp in node.inputs[1:]:
            array = graph.constants.get(inp)
            if array is None:
                raise ModelFormatError(f"node '{node.name}' (Requantize) reads '{inp}' as m/k, "
                                       "which must be a constant")
            if array.size > 1:
                _check_channels(graph, node, node.inputs[0], array.size, f"'{inp}'")
    if node.op in _PLAN_CHECKS:
        _PLAN_CHECKS[node.op](graph, node)
    if integer and node.op != "Quantize":
        for inp in node.inputs:
            if inp and np.dtype(graph.values[inp].dtype).kind not in "iub":
                raise ModelFormatError(f"node '{node.name}' ({node.op}) reads '{inp}' of dtype "
                                       f"{graph.values[inp].dtype}; integer ops read integers")


def _check_softmax(graph: Graph, node: Node) -> None:
    """IntSoftmax's i-exp constants keep every int64 step of the kernel in range: the
    polynomial ``(p + poly_b)^2 + poly_c`` (``|p| < 2^EXP_FRAC_BITS``) within 2^32, the
    rescale ``in_clamp * m`` within 2^62 (the proof checks it too), a shift ``k`` in [0, 62],
    and at most 24 output bits; then ``e << (bits + 1)`` and the row sums stay in int64."""
    a = node.attrs
    poly = (abs(a["poly_b"]) + (1 << EXP_FRAC_BITS)) ** 2 + abs(a["poly_c"])
    problems = [
        (a["m"] >= 1 and a["in_clamp"] >= 0 and a["in_clamp"] * a["m"] <= PRODUCT_LIMIT,
         "needs m >= 1, in_clamp >= 0 and in_clamp * m <= 2^62"),
        (0 <= a["k"] <= MAX_SHIFT, f"needs k in [0, {MAX_SHIFT}]"),
        (poly <= 1 << 32, "has poly_b/poly_c beyond the 2^32 the kernel's int64 steps allow"),
        (1 <= a["bits"] <= MAX_OUT_BITS, f"needs bits in [1, {MAX_OUT_BITS}]"),
    ]
    for ok, text in problems:
        if not ok:
            raise ModelFormatError(f"node '{node.name}' (IntSoftmax) {text}")


def _check_layernorm(graph: Graph, node: Node) -> None:
    """IntLayerNorm's plan keeps every int64 step of ``i_layernorm`` in range (see its
    docstring): ``n 2^in_bits <= 2^62``, ``n 4^row_bits <= 2^61``, ``0 <= max_left_shift <=
    row_bits``, ``0 <= eps < 2^61``, ``(2^24 + 1) max|gain| + max|bias| <= 2^62``, and ``n`` (the
    gain/bias length) is the normalized axis' size."""
    a, name = node.attrs, f"node '{node.name}' (IntLayerNorm)"
    if len(node.inputs) != 3 or not all(i in graph.constants for i in node.inputs[1:]):
        raise ModelFormatError(f"{name} needs constant gain and bias inputs")
    gain, bias = (graph.constants[i] for i in node.inputs[1:])
    if gain.dtype.kind not in "iu" or bias.dtype.kind not in "iu" or gain.shape != bias.shape \
            or gain.ndim != 1 or not gain.size:
        raise ModelFormatError(f"{name} needs 1-D integer gain and bias of one length")
    n = gain.size
    g_max, b_max = (max(int(x.max()), -int(x.min())) for x in (gain, bias))
    problems = [
        (n << a["in_bits"] <= 1 << 62, "normalizes too many values of in_bits for int64"),
        (0 <= a["row_bits"] and n << (2 * a["row_bits"]) <= 1 << 61,
         "needs n * 4^row_bits <= 2^61"),
        (0 <= a["max_left_shift"] <= a["row_bits"], "needs 0 <= max_left_shift <= row_bits"),
        (0 <= a["eps"] < 1 << 61, "needs 0 <= eps < 2^61"),
        (((1 << NORM_FRAC_BITS) + 1) * g_max + b_max <= 1 << 62,
         "has gain/bias too large for int64"),
        (0 <= a["out_shift"] <= MAX_SHIFT, f"needs out_shift in [0, {MAX_SHIFT}]"),
    ]
    for ok, text in problems:
        if not ok:
            raise ModelFormatError(f"{name} {text}")
    shape = graph.values[node.inputs[0]].shape
    if shape is not None:
        axis = a["axis"]
        if not -len(shape) <= axis < len(shape):
            raise ModelFormatError(f"{name} axis {axis} is out of range for rank {len(shape)}")
        if isinstance(shape[axis], int) and shape[axis] != n:
            raise ModelFormatError(f"{name} has {n} gain/bias entries but its input has "
                                   f"{shape[axis]} values on axis {axis}")


def _check_gather(graph: Graph, node: Node) -> None:
    """Constant indices must lie inside a statically known gathered axis (a wrong one would
    only fail while running, since the shape rule cannot tell)."""
    if len(node.inputs) < 2 or node.inputs[1] not in graph.constants:
        return
    indices, shape = graph.constants[node.inputs[1]], graph.values[node.inputs[0]].shape
    axis = node.attrs.get("axis", 0)
    if shape is None or not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        return
    dim = shape[axis]
    if isinstance(dim, int) and indices.size and indices.dtype.kind in "iu" and (
            int(indices.min()) < -dim or int(indices.max()) >= dim):
        raise ModelFormatError(f"node '{node.name}' (Gather) has constant indices in "
                               f"[{int(indices.min())}, {int(indices.max())}], outside the "
                               f"{dim} entries of axis {axis}")


_PLAN_CHECKS = {"IntSoftmax": _check_softmax, "IntLayerNorm": _check_layernorm,
                "Gather": _check_gather}


def _check_channels(graph: Graph, node: Node, data: str, count: int, what: str) -> None:
    """A per-channel parameter of ``count`` entries must match the channel axis of ``data``."""
    shape = graph.values[data].shape if data else None
    if shape is None:
        return
    axis = node.attrs["axis"]
    if not -len(shape) <= axis < len(shape):
        raise ModelFormatError(f"node '{node.name}' ({node.op}) axis {axis} is out of range for "
                               f"'{data}' of rank {len(shape)}")
    dim = shape[axis]
    if isinstance(dim, int) and dim != count:
        raise ModelFormatError(f"node '{node.name}' ({node.op}) has {count} per-channel "
                               f"{what} entries but '{data}' has {dim} channels on axis {axis}")


def _check_types(graph: Graph, where: list[str]) -> None:
    """Re-run every shape rule in order on a copy; each output's declared dtype and shape must
    be what it computes (symbolic names may differ), and of sane size."""
    check = graph.copy()
    for node in check.nodes:
        where[0] = f"node '{node.name}' ({node.op})"
        opdef = get_op(node.op, node.name)
        types = [check.values[i].type if i else None for i in node.inputs]
        consts = [check.constants.get(i) if i else None for i in node.inputs]
        try:
            outs = opdef.infer(node.attrs, types, consts)
        except IntqError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a shape rule means a bad file
            raise ModelFormatError(f"node '{node.name}' ({node.op}): shape check failed: "
                                   f"{_first_line(exc)}") from None
        if len(outs) < len(node.outputs):
            raise ModelFormatError(f"node '{node.name}' ({node.op}) has {len(node.outputs)} "
                                   f"outputs, its op computes {len(outs)}")
        for out, got in zip(node.outputs, outs):
            if not out:
                continue
            declared = graph.values[out]
            if got.shape is not None:
                _check_size(got.shape, f"node '{node.name}' ({node.op}) output '{out}' computes "
                                       f"shape {list(got.shape)}")
            if got.dtype != declared.dtype or not _shapes_agree(got.shape, declared.shape):
                dims = "?" if got.shape is None else ",".join(map(str, got.shape))
                raise ModelFormatError(f"node '{node.name}' ({node.op}) output '{out}' is "
                                       f"declared {declared.type_str()} but computes "
                                       f"{got.dtype}[{dims}]")
            value = check.values[out]
            value.shape, value.dtype = got.shape, got.dtype


def _check_size(shape: Any, what: str) -> None:
    static = [d for d in shape if isinstance(d, int)]
    if math.prod(static) > MAX_ELEMENTS:
        raise ModelFormatError(f"{what}, more than {MAX_ELEMENTS} elements")


def _default(opdef: OpDef, key: str, attrs: dict[str, Any]) -> Any:
    default = opdef.attrs[key]
    if callable(default) and default is not REQUIRED:
        try:
            return default(attrs)
        except Exception:  # noqa: BLE001 - the attribute's kind is then unknown
            return None
    return default


def _same_kind(value: Any, default: Any) -> bool:
    if default is REQUIRED or default is None:
        return _json_like(value)
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, numbers.Integral):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list) and _json_like(value)
    return _json_like(value)


def _json_like(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif not (item is None or isinstance(item, (bool, int, float, str))):
            return False
    return True


def _int_or_ints(value: Any, depth: int = 0) -> bool:
    """An int, or a list of them nested at most two deep (per-direction rows of IntLSTM)."""
    if isinstance(value, list):
        return depth < 2 and all(_int_or_ints(v, depth + 1) for v in value)
    return isinstance(value, int) and not isinstance(value, bool)


def _scale_attr(value: Any, per_channel: bool) -> bool:
    if isinstance(value, list) and not per_channel:
        return False
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                               and 0 < v < math.inf for v in items)


def _ints_in(value: Any, lo: int, hi: int) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool) and not lo <= item <= hi:
            return False
    return True


def _shapes_agree(inferred: Any, declared: Any) -> bool:
    """Symbolic names may differ; static sizes and ranks must match where both are known."""
    if inferred is None or declared is None:
        return True
    if len(inferred) != len(declared):
        return False
    return all(not (isinstance(a, int) and isinstance(b, int)) or a == b
               for a, b in zip(inferred, declared))


def _short(x: Any, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
