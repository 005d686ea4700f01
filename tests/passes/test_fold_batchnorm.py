import numpy as np
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import fold_batchnorm

RNG = np.random.default_rng(7)


def bn_params(graph: Graph, c: int) -> list[str]:
    return [const(graph, RNG.uniform(0.5, 2.0, c)), const(graph, RNG.normal(size=c)),
            const(graph, RNG.normal(size=c)), const(graph, RNG.uniform(0.1, 3.0, c))]


def conv_bn(bias: bool = True, group: int = 1, transpose: bool = False) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 6, 6))
    if transpose:
        w = const(g, RNG.normal(size=(4, 6 // group, 3, 3)))
        out_channels = 6
    else:
        w = const(g, RNG.normal(size=(6, 4 // group, 3, 3)))
        out_channels = 6
    inputs = [x, w] + ([const(g, RNG.normal(size=out_channels))] if bias else [])
    y = op(g, "ConvTranspose" if transpose else "Conv", inputs, kernel_shape=[3, 3],
           pads=[1, 1, 1, 1], group=group)
    z = op(g, "BatchNormalization", [y, *bn_params(g, out_channels)], epsilon=1e-3)
    return finish(g, z)


def test_conv_bn_folds_into_conv_weights():
    for bias in (True, False):
        after = assert_preserves(conv_bn(bias=bias), fold_batchnorm, exact=False)
        assert ops_of(after) == ["Conv"]
        assert len(after.nodes[0].inputs) == 3
        assert after.outputs == ["batchnormalization_out"]


def test_grouped_conv_and_conv_transpose_fold():
    after = assert_preserves(conv_bn(group=2), fold_batchnorm, exact=False)
    assert ops_of(after) == ["Conv"]
    for group in (1, 2):
        after = assert_preserves(conv_bn(group=group, transpose=True), fold_batchnorm, exact=False)
        assert ops_of(after) == ["ConvTranspose"]


def test_conv_output_with_two_consumers_keeps_conv_and_bn_becomes_mul_add():
    g = conv_bn()
    conv_out = g.nodes[0].outputs[0]
    extra = op(g, "Relu", [conv_out])
    finish(g, g.outputs[0], extra)
    after = assert_preserves(g, fold_batchnorm, exact=False)
    assert ops_of(after) == ["Add", "Conv", "Mul", "Relu"]
    mul = next(n for n in after.nodes if n.op == "Mul")
    assert after.constants[mul.inputs[1]].shape == (6, 1, 1)
    np.testing.assert_array_equal(after.constants[after.nodes[0].inputs[1]],
                                  g.constants[g.nodes[0].inputs[1]])


def test_conv_output_that_is_a_graph_output_is_not_folded():
    g = conv_bn()
    finish(g, g.outputs[0], g.nodes[0].outputs[0])
    after = assert_preserves(g, fold_batchnorm, exact=False)
    assert ops_of(after) == ["Add", "Conv", "Mul"]


def test_linear_bn1d_folds_into_matmul_and_bias():
    for with_bias in (True, False):
        g = Graph()
        x = g.add_input("x", "float32", ("N", 5))
        y = op(g, "MatMul", [x, const(g, RNG.normal(size=(5, 4)))])
        if with_bias:
            y = op(g, "Add", [const(g, RNG.normal(size=4)), y])
        z = op(g, "BatchNormalization", [y, *bn_params(g, 4)])
        after = assert_preserves(finish(g, z), fold_batchnorm, exact=False)
        assert ops_of(after) == ["Add", "MatMul"]


def test_bn_over_channels_of_3d_linear_output_is_not_folded_into_weights():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 5))
    y = op(g, "MatMul", [x, const(g, RNG.normal(size=(5, 5)))])
    z = op(g, "BatchNormalization", [y, *bn_params(g, 4)])
    after = assert_preserves(finish(g, z), fold_batchnorm, exact=False)
    assert ops_of(after) == ["Add", "MatMul", "Mul"]
    mul = next(n for n in after.nodes if n.op == "Mul")
    assert after.constants[mul.inputs[1]].shape == (4, 1)


def test_standalone_bn_becomes_per_channel_mul_add():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 4, 4))
    z = op(g, "BatchNormalization", [x, *bn_params(g, 3)])
    after = assert_preserves(finish(g, z), fold_batchnorm, exact=False)
    assert ops_of(after) == ["Add", "Mul"]
    assert [after.constants[n.inputs[1]].shape for n in after.nodes] == [(3, 1, 1), (3, 1, 1)]


def test_bn_with_runtime_statistics_is_left_alone():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 4, 4))
    mean = g.add_input("mean", "float32", (3,))
    params = bn_params(g, 3)
    params[2] = mean
    z = op(g, "BatchNormalization", [x, *params])
    assert_preserves(finish(g, z), fold_batchnorm, expect_change=False)
