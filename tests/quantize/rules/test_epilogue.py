"""A bias too large for int32 at ``x_scale * w_scale`` (a folded BatchNorm's tiny weights and
large shift) raises that channel's weight scale just enough: Conv, ConvTranspose and MatMul
quantize exactly, pass the overflow proof and export bit-identically."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.quant.qparams import quantize_bias
from intq.quantize import QuantizeError
from intq.runtime.overflow import prove_no_overflow
from tests.export.parity import assert_parity

from ..graphs import finish, normal, op, quantize

DEAD = 2
"""The folded-BN-like channel: weights 1e-6 of the others', bias 50."""


def folded_weights(*shape: int) -> tuple[np.ndarray, np.ndarray]:
    w = normal(*shape, seed=1, scale=0.3)
    w[DEAD] *= 1e-6
    b = normal(shape[0], seed=2, scale=0.1)
    b[DEAD] = 50.0
    return w, b


def conv_graph(op_type: str = "Conv") -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 6, 6))
    w, b = folded_weights(4, 4, 3, 3)
    if op_type == "ConvTranspose":
        w = np.ascontiguousarray(w.swapaxes(0, 1))  # (in, out, kh, kw)
    y = op(g, op_type, [x, w, b], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    return finish(g, op(g, "Relu", [y]))


def check_exact_and_exported(model, data: np.ndarray) -> None:
    assert model.exact
    prove_no_overflow(model.graph.copy())
    assert_parity(model.graph, {"x": data})


def bias_and_scales(model) -> tuple[np.ndarray, np.ndarray, float]:
    conv = next(n for n in model.graph.nodes if n.op == "IntConv")
    x_scale = model.graph.values[conv.inputs[0]].quant.scale
    w_scales = np.asarray(model.graph.values[conv.inputs[1]].quant.scale, dtype=np.float64)
    return model.graph.constants[conv.inputs[2]], np.broadcast_to(w_scales, (4,)), x_scale


@pytest.mark.parametrize("op_type", ["Conv", "ConvTranspose"])
def test_folded_bn_channel_gets_the_least_weight_scale_that_fits(op_type):
    data = normal(4, 4, 6, 6, seed=3)
    model = quantize(conv_graph(op_type), data)
    check_exact_and_exported(model, data)
    [entry] = model.graph.meta["quantization"]["bias_adjustments"]
    assert (entry["channel"], entry["op"]) == (DEAD, op_type) and entry["factor"] > 1
    assert entry["weight_sqnr_after_db"] < entry["weight_sqnr_before_db"]
    bias, w_scales, x_scale = bias_and_scales(model)
    assert np.abs(bias[DEAD]) > 2 ** 31 - 2 ** 20
    smaller = w_scales.copy()
    smaller[DEAD] *= 1 - (entry["factor"] - 1) / entry["factor"] / 2
    with pytest.raises(ValueError, match="int32"):
        quantize_bias(np.asarray(bias, np.float64) * x_scale * w_scales, x_scale, smaller)


def test_channels_whose_bias_fits_keep_their_scale():
    data = normal(4, 4, 6, 6, seed=3)
    g = conv_graph()
    model = quantize(g, data)
    plain = g.copy()
    w = plain.constants[g.nodes[0].inputs[1]]
    w[DEAD] = normal(4, 3, 3, seed=5, scale=0.3)
    plain.constants[g.nodes[0].inputs[2]][DEAD] = 0.0
    _, fitted, _ = bias_and_scales(model)
    _, untouched, _ = bias_and_scales(quantize(plain, data))
    keep = [c for c in range(4) if c != DEAD]
    assert np.array_equal(fitted[keep], untouched[keep])


def test_per_tensor_weights_raise_the_tensor_scale():
    data = normal(4, 4, 6, 6, seed=3)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 6, 6))
    w, b = folded_weights(4, 4, 3, 3)
    w *= 1e-4
    y = op(g, "Conv", [x, w, b], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    model = quantize(finish(g, y), data, per_channel_weights=False)
    check_exact_and_exported(model, data)
    [entry] = model.graph.meta["quantization"]["bias_adjustments"]
    assert entry["channel"] is None and entry["factor"] > 1
    _, w_scales, _ = bias_and_scales(model)
    assert np.unique(w_scales).size == 1


def test_matmul_bias_raises_the_output_column_scale():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 8))
    w = normal(8, 4, seed=1)
    w[:, DEAD] *= 1e-7
    bias = normal(4, seed=2, scale=0.1)
    bias[DEAD] = 30.0
    y = op(g, "Add", [op(g, "MatMul", [x, w]), bias])
    data = normal(16, 8, seed=3)
    model = quantize(finish(g, y), data)
    check_exact_and_exported(model, data)
    [entry] = model.graph.meta["quantization"]["bias_adjustments"]
    assert (entry["op"], entry["channel"]) == ("MatMul", DEAD)


def test_a_bias_added_to_a_product_of_activations_still_names_the_node():
    g = Graph()
    a = g.add_input("a", "float32", ("N", 4, 4))
    y = op(g, "Add", [op(g, "MatMul", [a, a]), np.array([1e9, 0, 0, 0])])
    with pytest.raises(QuantizeError, match="node 'matmul'.*int32"):
        quantize(finish(g, y), normal(4, 4, 4) * 1e-3)
