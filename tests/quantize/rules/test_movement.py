import numpy as np

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def test_data_movement_runs_on_integers_and_keeps_the_grid():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 4, 4))
    y = op(g, "MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    y = op(g, "Pad", [y, np.array([0, 0, 1, 1, 0, 0, 1, 1])], mode="constant")
    y = op(g, "Transpose", [y], perm=[0, 2, 3, 1])
    y = op(g, "Reshape", [y, np.array([0, -1])])
    y = op(g, "Slice", [y, np.array([1]), np.array([20]), np.array([1])])
    y = op(g, "Unsqueeze", [op(g, "Relu", [y]), np.array([1])])
    finish(g, y)
    data = normal(8, 2, 4, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["MaxPool", "Pad", "Transpose", "Reshape", "Slice", "Relu",
                                  "Unsqueeze"]
    grid = lambda q: (q.bits, q.signed, q.scale)  # noqa: E731  (bounds differ: Relu)
    assert grid(model.output_quant[0]) == grid(model.input_quant[0])
    q = model.run_int(model.quantize_inputs(data)[0])[0]
    np.testing.assert_array_equal(q * np.float32(model.output_quant[0].scale), model.run(data)[0])


def test_pad_value_moves_onto_the_grid():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    finish(g, op(g, "Pad", [x, np.array([1, 1]), np.float32(0.5), np.array([1])]))
    data = normal(8, 4, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["Pad"]
    out = model.run(data)[0]
    step = model.output_quant[0].scale
    assert abs(out[0, 0] - 0.5) <= step / 2


def test_nearest_resize_and_split_move_integers():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 3, 3))
    y = op(g, "Resize", [x, "", np.array([1, 1, 2, 2], np.float32)], mode="nearest")
    finish(g, *op(g, "Split", [y, np.array([1, 1])], outputs=2, axis=1))
    data = normal(4, 2, 3, 3, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["Resize", "Split"] and model.exact
    assert model.output_quant == [model.input_quant[0]] * 2
    assert_close(model, g, data, steps=0.5)


def test_a_zero_state_sized_by_the_batch_is_an_integer_fill():
    """A recurrence's initial state, ``ConstantOfShape(Shape(x)[:1] ++ [4])``, read by a
    product: the fill is integer zero and the product is bounded by it."""
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    batch = op(g, "Slice", [op(g, "Shape", [x]), np.array([0]), np.array([1])])
    shape = op(g, "Concat", [batch, np.array([4])], axis=0)
    state = op(g, "ConstantOfShape", [shape], value=0.0, dtype="float32")
    h = op(g, "MatMul", [state, normal(4, 4, seed=3).astype(np.float32)])
    finish(g, op(g, "Add", [op(g, "Mul", [x, state]), op(g, "Add", [x, h])]))
    data = normal(16, 4, seed=1)
    model = quantize(g, data)
    assert model.graph.meta["quantization"]["float_nodes"] == {}
    fill = next(n for n in model.graph.nodes if n.op == "ConstantOfShape")
    assert fill.attrs["value"] == 0 and fill.attrs["dtype"] in ("int8", "uint8")
    assert_close(model, g, data, steps=2)
