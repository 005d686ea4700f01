import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.quantize import QuantizeError

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def conv_graph(*after: str, bias: bool = True, w_scale: float = 0.3) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 8, 8))
    inputs = [x, normal(4, 3, 3, 3, seed=1, scale=w_scale)]
    if bias:
        inputs.append(normal(4, seed=2, scale=0.1))
    y = op(g, "Conv", inputs, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    for kind in after:
        y = op(g, "Relu", [y]) if kind == "relu" else op(g, "Clip", [y, 0.0, 2.0])
    return finish(g, y)


def test_conv_with_bias_becomes_int_conv_and_one_requantize():
    g, x = conv_graph(), normal(16, 3, 8, 8, seed=3)
    model = quantize(g, x)
    assert integer_ops(model) == ["IntConv", "Requantize"]
    assert float_values_inside(model) == [] and model.exact
    conv = model.graph.nodes[1]
    w, b = (model.graph.constants[i] for i in conv.inputs[1:])
    assert w.dtype == np.int8 and np.abs(w).max(axis=(1, 2, 3)).tolist() == [127] * 4
    assert b.dtype == np.int32
    assert conv.attrs["acc_bits"] == 32 and model.graph.values[conv.outputs[0]].dtype == "int32"
    assert_close(model, g, x, steps=3)


def test_relu_and_clip_fuse_into_the_requantize_bounds():
    x = normal(16, 3, 8, 8, seed=3)
    relu = quantize(conv_graph("relu"), x)
    assert integer_ops(relu) == ["IntConv", "Requantize"]
    requant = relu.graph.nodes[2]
    assert (requant.attrs["lo"], requant.attrs["signed"]) == (0, 0)
    assert relu.output_quant[0].signed is False
    clip_graph = conv_graph("clip")
    clip = quantize(clip_graph, x)
    assert integer_ops(clip) == ["IntConv", "Requantize"]
    requant = clip.graph.nodes[2]
    assert requant.attrs["lo"] == 0
    assert requant.attrs["hi"] == round(2.0 / clip.output_quant[0].scale)
    assert_close(clip, clip_graph, x, steps=6)
    assert clip.run(x)[0].max() <= 2.0 + 1e-6


def test_conv_without_bias_and_low_weight_bits_per_layer():
    g, x = conv_graph(bias=False), normal(16, 3, 8, 8, seed=3)
    name = g.nodes[0].name
    model = quantize(g, x, per_layer={name: {"weight_bits": 4}})
    weight = model.graph.nodes[1].inputs[1]
    w, quant = model.graph.constants[weight], model.graph.values[weight].quant
    assert w.dtype == np.int8 and np.abs(w).max() == 7 and quant.bits == 4
    on_4_bits = g.copy()
    on_4_bits.constants[g.nodes[0].inputs[1]] = (
        w * np.asarray(quant.scale).reshape(-1, 1, 1, 1)).astype(np.float32)
    assert_close(model, on_4_bits, x, steps=3)


def test_per_tensor_weights_share_one_scale():
    g, x = conv_graph(), normal(16, 3, 8, 8, seed=3)
    model = quantize(g, x, per_channel_weights=False)
    scales = model.graph.values[model.graph.nodes[1].inputs[1]].quant.scale
    assert len(set(scales)) == 1
    assert_close(model, g, x, steps=3)
