"""Small hand-built quantized graphs using every integer op, for the proof and exactness tests.

Multipliers are chosen so each requantized tensor spreads over its grid (a real quantizer
would derive them from calibrated scales); weights are random int8.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from intq.ir.graph import Graph, QuantInfo
from intq.ops import infer_shapes
from intq.ops.integer import layernorm_attrs, softmax_attrs
from intq.ops.registry import normalize_attrs
from intq.quant.dyadic import dyadic_per_channel
from intq.quant.nonlinear import build_lut, plan_i_layernorm, plan_i_softmax


class Builder:
    """Appends nodes with normalized attributes and per-channel requantizations."""

    def __init__(self, name: str, seed: int) -> None:
        self.graph = Graph(name)
        self.rng = np.random.default_rng(seed)

    def input(self, name: str, shape: tuple, bits: int = 8, signed: bool = True) -> str:
        self.graph.add_input(name, "int8" if signed else "uint8", shape)
        self.graph.values[name].quant = QuantInfo(bits, signed, 0.05)
        return name

    def const(self, hint: str, array: np.ndarray) -> str:
        return self.graph.add_constant(hint, array)

    def weight(self, hint: str, shape: tuple) -> str:
        return self.const(hint, self.rng.integers(-127, 128, shape).astype(np.int8))

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        node = self.graph.add_node(op, inputs, 1, attrs=normalize_attrs(op, attrs))
        return node.outputs[0]

    def requantize(self, acc: str, gain: float, channels: int = 1, axis: int = 1,
                   mult_bits: int = 31, **attrs: Any) -> str:
        reals = gain * self.rng.uniform(0.5, 1.5, channels)
        m, k = dyadic_per_channel(reals, mult_bits)
        return self.node("Requantize", [acc, self.const("m", m), self.const("k", k)], axis=axis,
                         **attrs)

    def finish(self, *outputs: str) -> Graph:
        self.graph.outputs = list(outputs)
        infer_shapes(self.graph)
        return self.graph


def cnn_graph(seed: int = 0) -> Graph:
    """Conv, pooling, depthwise, residual add, sum pooling, global sum, classifier, LUT."""
    b = Builder("cnn", seed)
    x = b.input("x", ("N", 3, 8, 8))
    bias = b.const("b1", b.rng.integers(-2000, 2000, 8).astype(np.int32))
    acc = b.node("IntConv", [x, b.weight("w1", (8, 3, 3, 3)), bias], kernel_shape=[3, 3],
                 pads=[1, 1, 1, 1])
    y = b.requantize(acc, 1 / 400, 8, bits=8, signed=0)
    y = b.node("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1])
    dw = b.requantize(b.node("IntConv", [y, b.weight("w2", (8, 1, 3, 3))], kernel_shape=[3, 3],
                             pads=[1, 1, 1, 1], group=8), 1 / 300, 8)
    pw = b.requantize(b.node("IntConv", [dw, b.weight("w3", (8, 8, 1, 1))], kernel_shape=[1, 1]),
                      1 / 300, 8)
    res = b.node("IntAdd", [pw, dw], multipliers=[3 << 20, 5 << 19], shift=22, lo=0)
    pooled = b.requantize(b.node("IntSumPool", [res], kernel_shape=[2, 2], strides=[2, 2]),
                          1 / 3)
    mean = b.requantize(b.node("IntReduceSum", [pooled, b.const("axes", np.array([2, 3]))]),
                        1 / 5)
    flat = b.node("Flatten", [mean])
    logits = b.requantize(b.node("IntMatMul", [flat, b.weight("fc", (8, 10)),
                                               b.const("fc_b", np.arange(10, dtype=np.int32))]),
                          1 / 60, 10, axis=-1)
    table, offset = build_lut(np.tanh, 0.05, 8, True, 1 / 127, 8, True)
    squashed = b.node("IntLUT", [logits, b.const("tanh", table)], in_lo=-offset)
    return b.finish(logits, squashed, b.node("Dequantize", [squashed], scale=1 / 127))


def attention_graph(seed: int = 0, tokens: int = 6, width: int = 8) -> Graph:
    """Projection, Q K^T, masked softmax, P V, residual add, layer norm, elementwise product."""
    b = Builder("attention", seed)
    x = b.input("x", ("N", tokens, width))
    q = b.requantize(b.node("IntMatMul", [x, b.weight("wq", (width, width))]), 1 / 300, width,
                     axis=-1)
    kt = b.node("Transpose", [q], perm=[0, 2, 1])
    scores = b.requantize(b.node("IntMatMul", [q, kt]), 1 / 300)
    mask = b.const("mask", np.triu(np.ones((tokens, tokens), dtype=bool), 1))
    probs = b.node("IntSoftmax", [scores, mask], **softmax_attrs(plan_i_softmax(0.08, 8, 8)))
    mixed = b.requantize(b.node("IntMatMul", [probs, q]), 1 / 200)
    res = b.node("IntAdd", [mixed, x], multipliers=[1 << 10, 3 << 9], shift=11)
    plan = plan_i_layernorm(0.05, 8, width, b.rng.normal(1, 0.1, width),
                            b.rng.normal(0, 0.1, width), 1e-5, 0.03, 8)
    normed = b.node("IntLayerNorm", [res, b.const("gain", plan.gain), b.const("bias", plan.bias)],
                    **layernorm_attrs(plan))
    gated = b.requantize(b.node("IntMul", [normed, res]), 1 / 120)
    return b.finish(gated)
