"""What one sample costs to run through a graph: the figures a deployment budget needs.

Per node and in total, at batch 1: multiply-accumulates (MACs), other arithmetic operations,
BOPS (MACs × operand bits, as HAWQ-V3 budgets mixed precision), one ``gas`` number (every
operation weighted by its operand width, in 8-bit operations) and, for the graph, parameter
bytes and the peak bytes of live activations. The same rules count float graphs, so a float
model and its quantized form compare figure by figure. Definitions: docs/COST.md.

Each op type's count is one rule in ``_RULES`` below; op types without a rule count one
operation per output element.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from intq.errors import IntqError
from intq.ir.graph import Graph, Node, is_static
from intq.ops.infer import infer_shapes
from intq.ops.integer.base import IntegerOp
from intq.ops.registry import get_op
from intq.runtime.executor import execute

INT64 = 64
"""Width of the rescaling ops (Requantize, IntAdd, IntSoftmax, IntLayerNorm): the integer
contract computes them in int64."""

SOFTMAX_OPS = 26
"""IntSoftmax per element: masked test, select, row max, subtract, clamp to 0 (5); i-exp:
clamp, multiply, rounding shift, range reduction (4), polynomial (3), final shift (3) (14);
masking select, row sum, shift-add-divide (3), saturation (2) (7). One more with a mask input."""

LAYERNORM_OPS = 19
"""IntLayerNorm per element: n·q, row sum, subtract (3); |d|, row max (2); row shift (3);
square, row sum (2); times the reciprocal, rounding shift (3); gain, bias, rounding shift (4);
saturation (2)."""

LAYERNORM_ROW_OPS = 52
"""IntLayerNorm per row: bit length and shift choice (5), eps shift and add (4), i-sqrt start
(4) and 7 Newton steps of 5 (35), reciprocal (4)."""

MOVES = frozenset({
    "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Gather",
    "GatherElements", "GatherND", "ScatterElements", "ScatterND", "Split", "Concat", "Pad",
    "Expand", "Tile", "Identity", "Dropout", "DepthToSpace", "SpaceToDepth", "Shape", "Size",
    "ConstantOfShape", "EyeLike", "IntZeroInsert"})
"""Ops that only move or create data: no arithmetic (their cost is activation memory)."""


@dataclass(frozen=True)
class NodeCost:
    """One node, per sample. ``ops`` counts arithmetic besides the MACs, each ``width`` bits
    wide; ``gas`` is ``ceil((bops + 8 · ops · width) / 64)``. ``domain`` is ``integer``,
    ``float`` (it reads or writes a float tensor: a float graph, or a node a quantized graph
    keeps in float) or ``edge`` (Quantize/Dequantize, the float steps around the integers)."""

    node: str
    op: str
    domain: str
    macs: int
    ops: int
    width: int
    bops: int
    gas: int
    out_bytes: int


@dataclass(frozen=True)
class ModelCost:
    """A graph's cost per sample: ``nodes`` in graph order, parameter bytes as stored, and the
    peak bytes of live activations (reached while ``peak_node`` runs)."""

    nodes: tuple[NodeCost, ...]
    param_bytes: int
    peak_activation_bytes: int
    peak_node: str | None

    def total(self, field: str, domain: str | None = None) -> int:
        return sum(getattr(n, field) for n in self.nodes if domain in (None, n.domain))

    @property
    def int_macs(self) -> int:
        return self.total("macs", "integer")

    @property
    def int_ops(self) -> int:
        return self.total("ops", "integer")

    @property
    def float_macs(self) -> int:
        return self.total("macs", "float")

    @property
    def float_flops(self) -> int:
        """Float nodes' FLOPs: two per MAC plus their other operations."""
        return 2 * self.float_macs + self.total("ops", "float")

    @property
    def edge_flops(self) -> int:
        return self.total("ops", "edge")

    @property
    def bops(self) -> int:
        return self.total("bops")

    @property
    def gas(self) -> int:
        return self.total("gas")

    @property
    def float_nodes(self) -> int:
        return sum(n.domain == "float" for n in self.nodes)

    def totals(self) -> dict[str, Any]:
        return {"gas": self.gas, "int_macs": self.int_macs, "int_ops": self.int_ops,
                "float_macs": self.float_macs, "float_flops": self.float_flops,
                "edge_flops": self.edge_flops, "bops": self.bops,
                "float_nodes": self.float_nodes, "param_bytes": self.param_bytes,
                "peak_activation_bytes": self.peak_activation_bytes,
                "peak_node": self.peak_node}

    def to_dict(self, nodes: bool = True) -> dict[str, Any]:
        """JSON data: the totals, and with ``nodes`` every node's row."""
        data = self.totals()
        if nodes:
            data["nodes"] = [asdict(n) for n in self.nodes]
        return data


def graph_cost(graph: Graph, dims: Mapping[str, int] | None = None) -> ModelCost:
    """The cost of one sample through ``graph``.

    The batch (``"N"``, or any symbolic first axis of an input) is bound to 1; ``dims`` gives
    other symbolic dimensions a size. Shapes that inference leaves unknown (those computed from
    ``Shape`` ops) are taken from one run on zeros at batch 1.
    """
    shapes, dtypes = _per_sample_types(graph, dims or {})
    nodes = tuple(_node_cost(graph, node, shapes, dtypes) for node in graph.nodes)
    peak, at = _peak_activations(graph, {n: _bytes(shapes[n], dtypes[n]) for n in shapes})
    params = sum(int(a.nbytes) for a in graph.constants.values())
    return ModelCost(nodes, params, peak, at)


# ---- shapes --------------------------------------------------------------------------------
def _per_sample_types(graph: Graph, dims: Mapping[str, int]
                      ) -> tuple[dict[str, tuple[int, ...]], dict[str, str]]:
    work = graph.copy()
    bind = {"N": 1, **dims}
    for name in work.inputs:
        shape = work.values[name].shape
        if shape is None:
            raise IntqError(f"cost needs input shapes; input '{name}' has unknown rank")
        if shape and isinstance(shape[0], str):
            bind.setdefault(shape[0], 1)
    for name in work.inputs:
        value = work.values[name]
        value.shape = tuple(bind.get(d, d) if isinstance(d, str) else d for d in value.shape)
        if value.shape and value.shape[0] == "?":
            value.shape = (1, *value.shape[1:])
        free = [d for d in value.shape if isinstance(d, str)]
        if free:
            raise IntqError(f"cost needs static shapes: input '{name}' has dimension "
                            f"'{free[0]}' besides the batch; give it a size (dims)")
    infer_shapes(work)
    used = {v for node in work.nodes for v in (*node.inputs, *node.outputs) if v}
    if not all(is_static(work.values[v].shape) for v in used):
        _dry_run(work)
    return ({n: tuple(v.shape) for n, v in work.values.items() if is_static(v.shape)},
            {n: v.dtype for n, v in work.values.items()})


def _dry_run(work: Graph) -> None:
    """Set every value's shape and dtype from one run on zeros (inputs are static here)."""
    def record(name: str, array: np.ndarray) -> None:
        value = work.values[name]
        value.shape, value.dtype = tuple(array.shape), array.dtype.name

    feeds = {n: np.zeros(work.values[n].shape, work.values[n].dtype) for n in work.inputs}
    try:
        execute(work, feeds, on_value=record, fast=True)
    except (ValueError, IndexError, IntqError) as exc:
        raise IntqError(f"cost needs static shapes; some are computed at run time and a run "
                        f"on zeros at batch 1 failed: {exc}") from None


def _bytes(shape: tuple[int, ...], dtype: str) -> int:
    return math.prod(shape) * np.dtype(dtype).itemsize


# ---- liveness ------------------------------------------------------------------------------
def _peak_activations(graph: Graph, sizes: Mapping[str, int]) -> tuple[int, str | None]:
    """Largest sum of live activation bytes while a node runs: graph inputs from the start,
    each output from its node on, each value until its last reader (graph outputs to the end),
    every tensor its own buffer (no in-place reuse or views)."""
    end = len(graph.nodes)
    last: dict[str, int] = {}
    for index, node in enumerate(graph.nodes):
        for name in node.inputs:
            if name and name not in graph.constants:
                last[name] = index
    last.update({name: end for name in graph.outputs})
    live = sum(sizes[n] for n in graph.inputs)
    peak, at = live, None
    for index, node in enumerate(graph.nodes):
        outputs = [o for o in dict.fromkeys(node.outputs) if o]
        live += sum(sizes[o] for o in outputs)
        if live > peak:
            peak, at = live, node.name
        for name in dict.fromkeys([*node.inputs, *outputs]):
            if name and name not in graph.constants and last.get(name, index) == index:
                live -= sizes[name]
    return peak, at


# ---- per node ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Work:
    """What a rule counts: ``macs`` (each ``mac_bits`` = a_bits · b_bits wide) and ``ops``
    other operations of ``width`` bits (``None``: the operands' width)."""

    macs: int = 0
    mac_bits: int = 0
    ops: int = 0
    width: int | None = None


class Site:
    """A node with per-sample shapes: what a rule reads."""

    def __init__(self, graph: Graph, node: Node, shapes: Mapping[str, tuple[int, ...]],
                 dtypes: Mapping[str, str]) -> None:
        self.graph, self.node, self.attrs = graph, node, node.attrs
        self._shapes, self._dtypes = shapes, dtypes

    def has(self, index: int) -> bool:
        return index < len(self.node.inputs) and bool(self.node.inputs[index])

    def shape(self, index: int) -> tuple[int, ...]:
        return self._shapes[self.node.inputs[index]]

    def size(self, index: int = 0) -> int:
        return math.prod(self.shape(index))

    def out_shape(self, index: int = 0) -> tuple[int, ...]:
        return self._shapes[self.node.outputs[index]]

    def out_size(self, index: int = 0) -> int:
        return math.prod(self.out_shape(index))

    def count(self) -> int:
        """Number of (non-omitted) inputs."""
        return sum(1 for i in self.node.inputs if i)

    def bits(self, index: int) -> int:
        """Declared precision of input ``index`` (its ``quant.bits``), else its dtype's width."""
        name = self.node.inputs[index]
        quant = self.graph.values[name].quant
        return quant.bits if quant is not None else np.dtype(self._dtypes[name]).itemsize * 8

    def operand_bits(self) -> int:
        """The widest input (the first output's dtype when there are none)."""
        widths = [self.bits(i) for i, name in enumerate(self.node.inputs) if name]
        if widths:
            return max(widths)
        return np.dtype(self._dtypes[self.node.outputs[0]]).itemsize * 8

    def is_float(self) -> bool:
        names = [n for n in (*self.node.inputs, *self.node.outputs) if n]
        return any(np.dtype(self._dtypes[n]).kind == "f" for n in names)


Rule = Callable[[Site], Work]
_RULES: dict[str, Rule] = {}


def _rule(*op_types: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        _RULES.update(dict.fromkeys(op_types, fn))
        return fn
    return register


def _node_cost(graph: Graph, node: Node, shapes: Mapping[str, tuple[int, ...]],
               dtypes: Mapping[str, str]) -> NodeCost:
    site = Site(graph, node, shapes, dtypes)
    if node.op in ("Quantize", "Dequantize"):
        domain = "edge"
    elif isinstance(get_op(node.op, node.name), IntegerOp) or not site.is_float():
        domain = "integer"
    else:
        domain = "float"
    rule = _RULES.get(node.op)
    if rule is None:
        work = Work() if node.op in MOVES else Work(ops=_outputs(site))
    else:
        work = rule(site)
    width = work.width if work.width is not None else site.operand_bits()
    bops = work.macs * work.mac_bits
    gas = -(-(bops + 8 * work.ops * width) // 64)
    out_bytes = sum(_bytes(shapes[o], dtypes[o]) for o in dict.fromkeys(node.outputs) if o)
    return NodeCost(node.name, node.op, domain, work.macs, work.ops, width if work.ops else 0,
                    bops, gas, out_bytes)


def _outputs(site: Site) -> int:
    return sum(site.out_size(i) for i, name in enumerate(site.node.outputs) if name)


def _acc_bits(site: Site) -> int:
    return int(site.attrs.get("acc_bits", 32))


def _bias_width(site: Site) -> int | None:
    return _acc_bits(site) if site.node.op.startswith("Int") else None


# MACs: convolution, matmul, recurrent layers, einsum.
@_rule("Conv", "IntConv")
def _conv(site: Site) -> Work:
    macs = site.out_size() * math.prod(site.shape(1)[1:])
    return Work(macs, site.bits(0) * site.bits(1), site.out_size() if site.has(2) else 0,
                _bias_width(site))


@_rule("ConvTranspose")
def _conv_transpose(site: Site) -> Work:
    macs = site.size(0) * math.prod(site.shape(1)[1:])
    return Work(macs, site.bits(0) * site.bits(1), site.out_size() if site.has(2) else 0)


@_rule("MatMul", "IntMatMul")
def _matmul(site: Site) -> Work:
    macs = site.out_size() * site.shape(0)[-1]
    return Work(macs, site.bits(0) * site.bits(1), site.out_size() if site.has(2) else 0,
                _bias_width(site))


@_rule("Gemm")
def _gemm(site: Site) -> Work:
    inner = site.shape(0)[0 if site.attrs.get("transA") else 1]
    return Work(site.out_size() * inner, site.bits(0) * site.bits(1),
                site.out_size() if site.has(2) else 0)


LSTM_GATE_OPS, LSTM_UNIT_OPS = 17, 20


@_rule("LSTM", "GRU", "RNN")
def _recurrent(site: Site) -> Work:
    """Per step, direction and sample: gates · H · (I + H) MACs; each gate element 3 more ops
    (joining add, bias, activation), and LSTM/GRU state updates 5 per hidden unit."""
    x, w, r = site.shape(0), site.shape(1), site.shape(2)
    steps = x[0] * x[1]
    dirs, gate_rows, hidden = w[0], w[1], r[2]
    macs = steps * dirs * gate_rows * (w[2] + hidden)
    update = 0 if site.node.op == "RNN" else 5 * hidden
    return Work(macs, site.bits(0) * site.bits(1), steps * dirs * (3 * gate_rows + update))


@_rule("Einsum")
def _einsum(site: Site) -> Work:
    """Two or more operands: output elements × the sizes of the summed-out letters."""
    if site.count() < 2:
        return Work(ops=site.size(0))
    spec = site.attrs["equation"].replace(" ", "")
    inputs, arrow, out = spec.partition("->")
    terms = inputs.split(",")
    sizes: dict[str, int] = {}
    for index, term in enumerate(terms):
        head, _, tail = term.partition("...")
        shape = site.shape(index)
        sizes.update(zip(head, shape))
        sizes.update(zip(tail, shape[len(shape) - len(tail):]))
    if not arrow:
        letters = re.sub(r"[^a-zA-Z]", "", inputs)
        out = "".join(c for c in sorted(set(letters)) if letters.count(c) == 1)
    summed = set(sizes) - set(out)
    macs = site.out_size() * math.prod(sizes[c] for c in summed)
    return Work(macs, site.bits(0) * site.bits(1))


# Integer ops of quantized graphs (docs/INTEGER_SEMANTICS.md).
@_rule("Requantize")
def _requantize(site: Site) -> Work:
    """Multiply, add half, shift, clamp (2)."""
    return Work(ops=5 * site.out_size(), width=INT64)


@_rule("IntAdd")
def _int_add(site: Site) -> Work:
    """n multiplies, n − 1 adds, add half, shift, clamp (2)."""
    return Work(ops=(2 * site.count() + 3) * site.out_size(), width=INT64)


@_rule("IntMul")
def _int_mul(site: Site) -> Work:
    return Work(ops=site.out_size(), width=_acc_bits(site))


@_rule("IntCumSum")
def _int_cumsum(site: Site) -> Work:
    return Work(ops=site.out_size(), width=_acc_bits(site))


@_rule("IntSumPool")
def _int_sum_pool(site: Site) -> Work:
    return Work(ops=(math.prod(site.attrs["kernel_shape"]) - 1) * site.out_size(),
                width=_acc_bits(site))


@_rule("IntReduceSum")
def _int_reduce_sum(site: Site) -> Work:
    return Work(ops=site.size(0) - site.out_size(), width=_acc_bits(site))


@_rule("IntMean")
def _int_mean(site: Site) -> Work:
    """The sum's adds, then a shift, an add and a division per output."""
    return Work(ops=site.size(0) - site.out_size() + 3 * site.out_size(), width=INT64)


@_rule("IntSqrt")
def _int_sqrt(site: Site) -> Work:
    """Clamp, multiply, rounding shift, about twenty ops of Newton steps, shift and clamp."""
    return Work(ops=26 * site.out_size(), width=INT64)


@_rule("IntLUT")
def _int_lut(site: Site) -> Work:
    """Index subtract and table load, at the input's width."""
    return Work(ops=2 * site.out_size(), width=site.bits(0))


@_rule("IntSoftmax")
def _int_softmax(site: Site) -> Work:
    return Work(ops=(SOFTMAX_OPS + site.has(1)) * site.out_size(), width=INT64)


@_rule("IntLayerNorm")
def _int_layernorm(site: Site) -> Work:
    rows = site.out_size() // site.shape(0)[site.attrs["axis"]]
    return Work(ops=LAYERNORM_OPS * site.out_size() + LAYERNORM_ROW_OPS * rows, width=INT64)


@_rule("IntLogSoftmax")
def _int_log_softmax(site: Site) -> Work:
    """Per element row max, subtract, i-exp, row sum, final multiply-add-shift; per row the
    bit length, index shifts, table load and log-sum multiply (docs/COST.md)."""
    rows = site.out_size() // site.shape(0)[site.attrs["axis"]]
    return Work(ops=20 * site.out_size() + 70 * rows, width=INT64)


@_rule("IntGroupNorm")
def _int_groupnorm(site: Site) -> Work:
    """IntLayerNorm's counts, one row per sample and group."""
    rows = site.shape(0)[0] * site.attrs["groups"]
    return Work(ops=LAYERNORM_OPS * site.out_size() + LAYERNORM_ROW_OPS * rows, width=INT64)


@_rule("IntResize")
def _int_resize(site: Site) -> Work:
    """Per resized axis two weight multiplies and an add (counted at the output size, an
    upper bound), then add half and shift."""
    return Work(ops=(3 * len(site.attrs["axes"]) + 2) * site.out_size(), width=INT64)


@_rule("IntDiv")
def _int_div(site: Site) -> Work:
    """Multiply both operands, double and add, floor-divide, test and select, clamp (2)."""
    return Work(ops=8 * site.out_size(), width=INT64)


@_rule("IntL2Normalize")
def _int_l2_normalize(site: Site) -> Work:
    """Per element: square, row sum, multiply, IntDiv's rounded division and clamp (8); per
    row: the shift and ``i_sqrt`` (bit length, six Newton steps of divide, add, shift)."""
    rows = site.out_size() // site.shape(0)[site.attrs["axis"]]
    return Work(ops=11 * site.out_size() + 20 * rows, width=INT64)


@_rule("IntLSTM", "IntGRU")
def _int_recurrence(site: Site) -> Work:
    """The float recurrence's MACs (I + H per gate row); per gate row 17 int64 ops (two bias
    adds, two requantizations, join, clamp, table index and load), per hidden unit 20 (the
    LSTM's cell products, rounding and clamp, requantization to the table grid, tanh load,
    output product and its requantization; the GRU's reset product and shift and its state
    update, counted alike)."""
    x, w = site.shape(0), site.shape(1)
    steps = x[0] * x[1]
    dirs, gate_rows, inputs = w
    hidden = gate_rows // (4 if site.node.op == "IntLSTM" else 3)
    return Work(steps * dirs * gate_rows * (inputs + hidden), site.bits(0) * 8,
                steps * dirs * (LSTM_GATE_OPS * gate_rows + LSTM_UNIT_OPS * hidden), INT64)


@_rule("Quantize")
def _quantize(site: Site) -> Work:
    """Divide, round, clamp (2), in float32."""
    return Work(ops=4 * site.out_size(), width=32)


@_rule("Dequantize")
def _dequantize(site: Site) -> Work:
    """Convert and multiply, in float32."""
    return Work(ops=2 * site.out_size(), width=32)


# Float ops, and their reuse on integer tensors (comparisons keep the operand width).
@_rule("MaxPool")
def _max_pool(site: Site) -> Work:
    return Work(ops=(math.prod(site.attrs["kernel_shape"]) - 1) * site.out_size())


@_rule("AveragePool")
def _average_pool(site: Site) -> Work:
    return Work(ops=math.prod(site.attrs["kernel_shape"]) * site.out_size())


@_rule("GlobalMaxPool", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ArgMax",
       "ArgMin")
def _reduce(site: Site) -> Work:
    return Work(ops=site.size(0) - site.out_size())


@_rule("GlobalAveragePool", "ReduceMean", "CumSum", "TopK")
def _reduce_then_scale(site: Site) -> Work:
    return Work(ops=site.size(0))


@_rule("ReduceSumSquare", "ReduceL1")
def _reduce_mapped(site: Site) -> Work:
    return Work(ops=2 * site.size(0) - site.out_size())


@_rule("ReduceL2", "ReduceLogSumExp")
def _reduce_mapped_then_scale(site: Site) -> Work:
    return Work(ops=2 * site.size(0))


@_rule("Softmax", "LogSoftmax")
def _softmax(site: Site) -> Work:
    """Max, subtract, exp, sum, divide."""
    return Work(ops=5 * site.out_size())


@_rule("LayerNormalization", "InstanceNormalization", "GroupNormalization")
def _normalization(site: Site) -> Work:
    """Mean, subtract, square, variance, scale by 1/σ, γ, β."""
    return Work(ops=7 * site.out_size())


@_rule("BatchNormalization")
def _batch_norm(site: Site) -> Work:
    return Work(ops=2 * site.out_size())


@_rule("LpNormalization")
def _lp_norm(site: Site) -> Work:
    return Work(ops=3 * site.out_size())


@_rule("Clip")
def _clip(site: Site) -> Work:
    bounds = sum(site.has(i) for i in (1, 2))
    return Work(ops=bounds * site.out_size(), width=site.bits(0))


@_rule("Sum", "Max", "Min")
def _variadic(site: Site) -> Work:
    return Work(ops=(site.count() - 1) * site.out_size())


@_rule("Mean")
def _mean(site: Site) -> Work:
    return Work(ops=site.count() * site.out_size())


@_rule("Resize")
def _resize(site: Site) -> Work:
    """Nearest: data movement. Linear/cubic: 2 (4) points per resized axis per output."""
    if site.attrs.get("mode", "nearest") == "nearest":
        return Work()
    resized = sum(a != b for a, b in zip(site.shape(0), site.out_shape()))
    points = (2 if site.attrs["mode"] == "linear" else 4) ** resized
    return Work(ops=points * site.out_size())

