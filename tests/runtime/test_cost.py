"""``graph_cost``: exact MACs, operations, BOPS, gas and memory on hand-built graphs, and a
quantized zoo model against MACs counted on the torch modules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from intq.errors import IntqError
from intq.ir.graph import Graph, QuantInfo
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.runtime.cost import graph_cost


def gas(bops: int, ops: int, width: int) -> int:
    return math.ceil((bops + 8 * ops * width) / 64)


def int_input(graph: Graph, name: str, shape: tuple, bits: int = 8) -> str:
    graph.add_input(name, "int8", shape)
    graph.values[name].quant = QuantInfo(bits, True, 0.1)
    return name


def weight(graph: Graph, shape: tuple, bits: int = 8) -> str:
    name = graph.add_constant("w", np.ones(shape, np.int8))
    graph.values[name].quant = QuantInfo(bits, True, 0.1)
    return name


def add(graph: Graph, op: str, inputs: list[str], **attrs) -> str:
    return graph.add_node(op, inputs, 1, attrs=normalize_attrs(op, attrs)).outputs[0]


def finish(graph: Graph, *outputs: str) -> Graph:
    graph.outputs = list(outputs)
    infer_shapes(graph)
    return graph


def conv_graph(shape: tuple, w_shape: tuple, w_bits: int = 8, bias: bool = False,
               **attrs) -> Graph:
    g = Graph("conv")
    inputs = [int_input(g, "x", shape), weight(g, w_shape, w_bits)]
    if bias:
        inputs.append(g.add_constant("b", np.zeros(w_shape[0], np.int32)))
    return finish(g, add(g, "IntConv", inputs, kernel_shape=list(w_shape[2:]), **attrs))


def test_conv_macs_are_per_sample_cout_h_w_cin_kernel():
    cost = graph_cost(conv_graph(("N", 3, 8, 8), (16, 3, 3, 3), w_bits=4, bias=True,
                                 pads=[1, 1, 1, 1]))
    (node,) = cost.nodes
    macs = 16 * 8 * 8 * 3 * 3 * 3
    assert (node.domain, node.macs, node.bops) == ("integer", macs, macs * 8 * 4)
    assert (node.ops, node.width) == (16 * 8 * 8, 32)
    assert node.gas == gas(macs * 32, 16 * 8 * 8, 32) == cost.gas
    assert node.out_bytes == 16 * 8 * 8 * 4


def test_strided_conv_without_padding():
    cost = graph_cost(conv_graph(("N", 4, 9, 9), (6, 4, 3, 3), strides=[2, 2]))
    assert cost.int_macs == 6 * 4 * 4 * 4 * 3 * 3 and cost.int_ops == 0


def test_depthwise_conv_counts_one_input_channel_per_output():
    cost = graph_cost(conv_graph(("N", 8, 8, 8), (8, 1, 3, 3), pads=[1, 1, 1, 1], group=8))
    assert cost.int_macs == 8 * 8 * 8 * 1 * 3 * 3
    assert cost.bops == cost.int_macs * 64 == 64 * cost.gas


def test_matmul_with_constant_weight_and_between_activations():
    g = Graph("mm")
    a = int_input(g, "a", ("N", 5, 16))
    bias = g.add_constant("bias", np.zeros(10, np.int32))
    y = add(g, "IntMatMul", [a, weight(g, (16, 10), bits=2), bias])
    scores = add(g, "IntMatMul", [a, add(g, "Transpose", [a], perm=[0, 2, 1])])
    cost = graph_cost(finish(g, y, scores))
    linear, _, attention = cost.nodes
    assert (linear.macs, linear.bops, linear.ops) == (5 * 10 * 16, 5 * 10 * 16 * 16, 50)
    assert (attention.macs, attention.bops) == (5 * 5 * 16, 5 * 5 * 16 * 64)
    assert cost.nodes[1].macs == cost.nodes[1].ops == cost.nodes[1].gas == 0


def test_requantize_is_five_int64_operations_per_element():
    g = Graph("rq")
    g.add_input("acc", "int32", ("N", 4, 6))
    m = g.add_constant("m", np.array([1 << 30], np.int64))
    k = g.add_constant("k", np.array([31], np.int64))
    cost = graph_cost(finish(g, add(g, "Requantize", ["acc", m, k])))
    (node,) = cost.nodes
    assert (node.ops, node.width, node.gas) == (5 * 24, 64, 5 * 24 * 8)
    assert node.out_bytes == 24 and cost.param_bytes == 16


def test_int_add_counts_a_multiply_per_input():
    g = Graph("add")
    x, y = int_input(g, "x", ("N", 10)), int_input(g, "y", ("N", 10))
    cost = graph_cost(finish(g, add(g, "IntAdd", [x, y], multipliers=[3, 5], shift=2)))
    assert cost.int_ops == (2 * 2 + 3) * 10


def relu_chain(residual: bool) -> Graph:
    g = Graph("chain")
    x = int_input(g, "x", ("N", 100))
    a = add(g, "Relu", [x])
    b = add(g, "Relu", [a])
    y = add(g, "IntAdd", [x, b], multipliers=[1, 1], shift=0) if residual else add(g, "Relu", [b])
    return finish(g, y)


def test_liveness_peak_of_a_chain_is_two_tensors():
    cost = graph_cost(relu_chain(residual=False))
    assert cost.peak_activation_bytes == 200
    assert cost.int_ops == 300 and cost.gas == 300


def test_a_residual_branch_keeps_its_input_live():
    cost = graph_cost(relu_chain(residual=True))
    assert cost.peak_activation_bytes == 300
    assert cost.peak_node == cost.nodes[1].node


def test_other_symbolic_dimensions_need_a_size():
    g = Graph("seq")
    x = int_input(g, "x", ("N", "T", 8))
    graph = finish(g, add(g, "Relu", [x]))
    with pytest.raises(IntqError, match="'T'"):
        graph_cost(graph)
    assert graph_cost(graph, dims={"T": 4}).int_ops == 32


def test_shapes_computed_at_run_time_come_from_a_run_at_batch_one():
    g = Graph("dynamic")
    g.add_input("x", "float32", ("N", 4))
    zeros = add(g, "ConstantOfShape", [add(g, "Shape", ["x"])], value=0.0, dtype="float32")
    graph = finish(g, add(g, "Add", ["x", zeros]))
    assert graph.values[zeros].shape != ("N", 4)
    cost = graph_cost(graph)
    assert [n.domain for n in cost.nodes] == ["float"] * 3
    assert cost.float_flops == 4 and cost.int_ops == 0
    assert cost.peak_activation_bytes == 16 + 16 + 16  # x, the shape (int64[2]), zeros


def test_float_graph_counts_flops_and_float_bops():
    g = Graph("float")
    g.add_input("x", "float32", ("N", 3, 8, 8))
    w = g.add_constant("w", np.ones((4, 3, 3, 3), np.float32))
    conv = add(g, "Conv", ["x", w], kernel_shape=[3, 3])
    cost = graph_cost(finish(g, add(g, "Relu", [conv])))
    macs = 4 * 6 * 6 * 27
    assert (cost.float_macs, cost.int_macs) == (macs, 0)
    assert cost.float_flops == 2 * macs + 4 * 6 * 6
    assert cost.bops == macs * 32 * 32 and cost.param_bytes == 4 * 27 * 4


def torch_macs(model, example) -> int:
    """MACs of every Conv2d and Linear, from the output shapes torch computes (batch 1)."""
    from torch import nn

    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total += output.numel() * module.in_channels // module.groups * kh * kw
        else:
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    model(example[:1])
    for handle in handles:
        handle.remove()
    return total


def test_quantized_zoo_resnet_matches_torch_macs():
    """4-bit weights: BOPS count the declared 4 bits, not the int8 storage."""
    torch = pytest.importorskip("torch")
    import intq
    from intq import zoo

    model = zoo.build("resnet", seed=0).eval()
    (example,) = model.example_inputs()
    float_model = intq.from_torch(model, (example,))
    calib = np.random.default_rng(0).normal(0, 1, (4, *example.shape[1:])).astype(np.float32)
    quantized = intq.quantize(float_model, calib, {"weight_bits": 4}, progress=False)
    cost = quantized.cost()
    with torch.no_grad():
        macs = torch_macs(model, example)
    assert cost.int_macs == macs == graph_cost(float_model.graph).float_macs
    assert cost.bops == macs * 8 * 4
    assert cost.float_flops == 0 and cost.float_nodes == 0
    assert cost.gas == sum(n.gas for n in cost.nodes)
    assert cost.param_bytes == sum(a.nbytes for a in quantized.graph.constants.values())
