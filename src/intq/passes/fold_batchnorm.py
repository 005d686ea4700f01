"""BatchNormalization folding: inference-mode BN is a per-channel affine map, so it merges
into the preceding Conv / ConvTranspose / MatMul(+Add) weights, or else becomes Mul + Add.

Folded weights are computed in float64 and stored in the model's dtype; the re-association
moves outputs by about one float32 ulp per accumulation, far inside the 1e-5 budget.
"""

from __future__ import annotations

import numpy as np

from intq.ir.graph import Graph, Node
from intq.passes.editing import constant_like, new_node, remove_nodes, rewrite_each
from intq.passes.matching import Uses, const, other_input, rank
from intq.passes.registry import register_pass


@register_pass
def fold_batchnorm(graph: Graph) -> bool:
    return rewrite_each(graph, {"BatchNormalization"}, _fold)


def _fold(graph: Graph, uses: Uses, bn: Node) -> bool:
    affine = _affine(graph, bn)
    if affine is None:
        return False
    scale, shift = affine
    source = bn.inputs[0]
    producer = uses.producer.get(source)
    if producer is not None and uses.private(source, bn):
        if producer.op in ("Conv", "ConvTranspose") and _into_conv(graph, producer, scale, shift):
            return _drop_bn(graph, bn, producer)
        if producer.op in ("MatMul", "Add") and _into_linear(graph, uses, producer, bn, scale,
                                                             shift):
            return True
    return _to_mul_add(graph, bn, scale, shift)


def _affine(graph: Graph, bn: Node) -> tuple[np.ndarray, np.ndarray] | None:
    """(s, t) with BN(x) = s·x + t per channel, or None when BN is not a constant map."""
    if bn.attrs.get("training_mode", 0) or any(bn.outputs[1:]):
        return None
    params = [const(graph, name) for name in bn.inputs[1:5]]
    if any(p is None for p in params):
        return None
    gamma, beta, mean, var = (p.astype(np.float64).ravel() for p in params)
    scale = gamma / np.sqrt(var + float(bn.attrs.get("epsilon", 1e-5)))
    return scale, beta - mean * scale


def _drop_bn(graph: Graph, bn: Node, producer: Node) -> bool:
    """Let ``producer`` write BN's output directly (keeps the output name)."""
    graph.remove_node(bn)
    producer.outputs[0] = bn.outputs[0]
    return True


def _into_conv(graph: Graph, conv: Node, scale: np.ndarray, shift: np.ndarray) -> bool:
    weight = const(graph, conv.inputs[1])
    bias_name = conv.inputs[2] if len(conv.inputs) > 2 else ""
    bias = const(graph, bias_name)
    if weight is None or (bias_name and bias is None):
        return False
    w = weight.astype(np.float64)
    spatial = (1,) * (w.ndim - 2)
    if conv.op == "Conv":
        if w.shape[0] != scale.size:
            return False
        w = w * scale.reshape(-1, 1, *spatial)
    else:
        groups = int(conv.attrs.get("group", 1))
        per_group = w.shape[1]
        if groups * per_group != scale.size:
            return False
        w = (w.reshape(groups, -1, per_group, *w.shape[2:])
             * scale.reshape(groups, 1, per_group, *spatial)).reshape(w.shape)
    b = shift if bias is None else bias.astype(np.float64) * scale + shift
    dtype = weight.dtype.name
    conv.inputs[1] = constant_like(graph, f"{conv.name}_weight", w, dtype)
    conv.inputs[2:] = [constant_like(graph, f"{conv.name}_bias", b, dtype)]
    return True


def _into_linear(graph: Graph, uses: Uses, producer: Node, bn: Node, scale: np.ndarray,
                 shift: np.ndarray) -> bool:
    """x @ W (+ b) followed by BN over the last axis of a 2-D result (BatchNorm1d after Linear)."""
    if rank(graph, bn.inputs[0]) != 2:
        return False
    add, bias_name = None, ""
    matmul = producer
    if producer.op == "Add":
        add = producer
        matmul = next((uses.producer.get(i) for i in add.inputs
                       if uses.made_by(i, "MatMul") and uses.private(i, add)), None)
        if matmul is None:
            return False
        bias_name = other_input(add, matmul.outputs[0]) or ""
        if const(graph, bias_name) is None:
            return False
    weight = const(graph, matmul.inputs[1])
    if weight is None or weight.ndim != 2 or weight.shape[1] != scale.size:
        return False
    dtype = weight.dtype.name
    bias = const(graph, bias_name)
    if bias is not None and bias.size not in (1, scale.size):
        return False
    b = shift if bias is None else bias.astype(np.float64).ravel() * scale + shift
    matmul.inputs[1] = constant_like(graph, f"{matmul.name}_weight",
                                     weight.astype(np.float64) * scale, dtype)
    bias_const = constant_like(graph, f"{matmul.name}_bias", b, dtype)
    remove_nodes(graph, [bn] + ([add] if add else []))
    new_node(graph, "Add", [matmul.outputs[0], bias_const], [bn.outputs[0]],
             name=f"{bn.name}_bias")
    return True


def _to_mul_add(graph: Graph, bn: Node, scale: np.ndarray, shift: np.ndarray) -> bool:
    """Standalone BN → Mul + Add, constants shaped [C, 1, ..., 1] to broadcast over NC...."""
    r = rank(graph, bn.inputs[0])
    if r is None or r < 2:
        return False
    dtype = graph.values[bn.inputs[0]].dtype
    shape = (-1,) + (1,) * (r - 2)
    s = constant_like(graph, f"{bn.name}_scale", scale.reshape(shape), dtype)
    t = constant_like(graph, f"{bn.name}_shift", shift.reshape(shape), dtype)
    graph.remove_node(bn)
    mul = new_node(graph, "Mul", [bn.inputs[0], s], name=f"{bn.name}_mul")
    new_node(graph, "Add", [mul.outputs[0], t], [bn.outputs[0]], name=f"{bn.name}_add")
    return True
