import numpy as np
import pytest
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.errors import GraphError
from intq.ir.graph import Graph
from intq.passes import fold_constants


def ints(graph: Graph, values) -> str:
    return const(graph, values, "int64")


def dim(graph: Graph, shape: str, index: int) -> str:
    """``Unsqueeze(Gather(shape, index), 0)``, torch's way to read one dimension as [d]."""
    gathered = op(graph, "Gather", [shape, ints(graph, index)])
    return op(graph, "Unsqueeze", [gathered, ints(graph, [0])])


def test_constant_subgraph_folds_and_keeps_output_names():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3))
    scale = op(g, "Add", [const(g, [1.0, 2.0, 3.0]), const(g, 0.5)])
    shift = op(g, "Neg", [scale])
    finish(g, op(g, "Mul", [x, scale]), shift)
    after = assert_preserves(g, fold_constants)
    assert ops_of(after) == ["Mul"]
    np.testing.assert_array_equal(after.constants[shift], [-1.5, -2.5, -3.5])


def test_shape_of_static_tensor_and_static_slice_of_dynamic_shape_fold():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 4))
    whole = op(g, "Shape", [op(g, "ReduceSum", [x, ints(g, [0])])])
    tail = op(g, "Shape", [x], start=1)
    finish(g, whole, tail, op(g, "Shape", [x]))
    after = assert_preserves(g, fold_constants)
    assert ops_of(after) == ["Shape"]
    np.testing.assert_array_equal(after.constants[whole], [1, 3, 4])
    np.testing.assert_array_equal(after.constants[tail], [3, 4])


def test_torch_flatten_reshape_target_folds_for_every_batch_size():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 4, 4))
    h = op(g, "Relu", [x])
    target = op(g, "Concat", [dim(g, op(g, "Shape", [h]), 0), ints(g, [-1])], axis=0)
    finish(g, op(g, "Reshape", [h, target]))
    after = assert_preserves(g, fold_constants, batches=(1, 2, 5))
    assert ops_of(after) == ["Relu", "Reshape"]
    reshape = after.nodes[-1]
    np.testing.assert_array_equal(after.constants[reshape.inputs[1]], [0, -1])
    assert after.values[after.outputs[0]].shape == ("N", 48)


def test_attention_head_split_folds_to_copy_dims():
    g = Graph()
    x = g.add_input("x", "float32", ("N", "T", 8))
    shape = op(g, "Shape", [x])
    heads = op(g, "Concat", [dim(g, shape, 0), dim(g, shape, 1), ints(g, [2, 4])], axis=0)
    split = op(g, "Reshape", [op(g, "Neg", [x]), heads])
    finish(g, op(g, "Transpose", [split], perm=[0, 2, 1, 3]))
    after = assert_preserves(g, fold_constants)
    assert "Shape" not in ops_of(after)
    reshape = next(n for n in after.nodes if n.op == "Reshape")
    np.testing.assert_array_equal(after.constants[reshape.inputs[1]], [0, 0, 2, 4])


def test_static_dims_read_from_a_dynamic_shape_fold_into_arithmetic():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 4))
    shape = op(g, "Shape", [x])
    features = op(g, "Mul", [dim(g, shape, 1), dim(g, shape, 2)])
    target = op(g, "Concat", [dim(g, shape, 0), features], axis=0)
    finish(g, op(g, "Reshape", [x, target]))
    after = assert_preserves(g, fold_constants)
    assert ops_of(after) == ["Reshape"]
    np.testing.assert_array_equal(after.constants[after.nodes[0].inputs[1]], [0, 12])


def test_merge_of_two_dynamic_dims_uses_minus_one_and_unmergeable_targets_stay():
    g = Graph()
    x = g.add_input("x", "float32", ("N", "T", 8))
    shape = op(g, "Shape", [x])
    b, t = dim(g, shape, 0), dim(g, shape, 1)
    flat = op(g, "Reshape", [x, op(g, "Concat", [op(g, "Mul", [b, t]), ints(g, [8])], axis=0)])
    back = op(g, "Reshape", [op(g, "Relu", [flat]), op(g, "Concat", [b, t, ints(g, [8])], axis=0)])
    finish(g, back)
    after = assert_preserves(g, fold_constants)
    first, second = (n for n in after.nodes if n.op == "Reshape")
    np.testing.assert_array_equal(after.constants[first.inputs[1]], [-1, 8])
    assert second.inputs[1] not in after.constants
    assert "Shape" in ops_of(after)


def test_range_over_dynamic_length_stays_and_still_runs():
    g = Graph()
    x = g.add_input("x", "float32", ("N", "T"))
    length = op(g, "Gather", [op(g, "Shape", [x]), ints(g, 1)])
    positions = op(g, "Range", [ints(g, 0), length, ints(g, 1)])
    finish(g, op(g, "Add", [x, op(g, "Cast", [positions], to="float32")]))
    assert_preserves(g, fold_constants, expect_change=False)


def test_fold_size_limit():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 10))
    big = op(g, "ConstantOfShape", [ints(g, [20, 10])], value=1.0)
    finish(g, op(g, "Add", [x, op(g, "ReduceSum", [big, ints(g, [0])], keepdims=0)]))
    kept = assert_preserves(g, lambda gr: fold_constants(gr, max_elements=100),
                            expect_change=False)
    assert "ConstantOfShape" in ops_of(kept)
    folded = assert_preserves(g, fold_constants)
    assert ops_of(folded) == ["Add"]


def test_node_failing_on_constant_inputs_is_reported():
    g = Graph()
    x = g.add_input("x", "float32", (2, 3))
    bad = op(g, "Reshape", [const(g, np.zeros(6)), ints(g, [4, 2])])
    finish(g, op(g, "Add", [x, x]), bad)
    with pytest.raises(GraphError, match="fails on its constant inputs"):
        fold_constants(g)


def test_multi_output_node_and_size_fold():
    g = Graph()
    x = g.add_input("x", "float32", (2, 3))
    a, b = op(g, "Split", [const(g, np.arange(6.0).reshape(2, 3)), ints(g, [1, 1])], outputs=2)
    count = op(g, "Cast", [op(g, "Size", [x])], to="float32")
    finish(g, op(g, "Add", [op(g, "Mul", [x, a]), b]), count)
    after = assert_preserves(g, fold_constants, batches=(1,))
    assert ops_of(after) == ["Add", "Mul"]
    assert after.constants[count] == np.float32(6)
