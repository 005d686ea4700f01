import numpy as np
import pytest

from intq.errors import InputError
from intq.ir.graph import Graph

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def test_matmul_with_weight_and_bias_folds_the_bias_into_int_matmul():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 16))
    y = op(g, "Add", [op(g, "MatMul", [x, normal(16, 8, seed=1)]), normal(8, seed=2)])
    finish(g, op(g, "Relu", [y]))
    data = normal(32, 16, seed=3)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMatMul", "Requantize"]
    matmul = model.graph.nodes[1]
    assert len(matmul.inputs) == 3 and model.graph.constants[matmul.inputs[2]].dtype == np.int32
    assert model.graph.nodes[2].attrs["lo"] == 0
    assert_close(model, g, data, steps=3)


def test_matmul_of_two_activations_and_a_scale_is_one_requantize():
    g = Graph()
    q = g.add_input("q", "float32", ("N", 4, 8))
    k = g.add_input("k", "float32", ("N", 8, 4))
    finish(g, op(g, "Mul", [op(g, "MatMul", [q, k]), np.float32(0.35)]))
    data = (normal(16, 4, 8, seed=1), normal(16, 8, 4, seed=2))
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMatMul", "Requantize"]
    assert float_values_inside(model) == []
    assert_close(model, g, *data, steps=4)


def test_constant_left_operand_is_quantized_per_tensor():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6, 5))
    finish(g, op(g, "MatMul", [normal(3, 6, seed=1), x]))
    data = normal(16, 6, 5, seed=2)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMatMul", "Requantize"]
    weight = model.graph.values[model.graph.nodes[1].inputs[0]]
    assert isinstance(weight.quant.scale, float)
    assert_close(model, g, data, steps=3)


def test_product_over_a_dynamic_length_is_bounded_for_max_symbolic_length():
    g = Graph()
    p = g.add_input("p", "float32", ("N", 4, "T"))
    v = g.add_input("v", "float32", ("N", "T", 4))
    finish(g, op(g, "Relu", [op(g, "MatMul", [p, v])]))
    data = (normal(8, 4, 6, seed=1), normal(8, 6, 4, seed=2))
    model = quantize(g, data, max_symbolic_length=32)
    assert model.graph.meta["quantization"]["float_nodes"] == {}
    (matmul,) = [n for n in model.graph.nodes if n.op == "IntMatMul"]
    assert matmul.attrs["max_length"] == 32
    assert_close(model, g, *data, steps=2)
    longer = (normal(2, 4, 33, seed=3), normal(2, 33, 4, seed=4))
    for fast in (True, False):   # both executors name the node that refuses
        with pytest.raises(InputError, match=r"node 'matmul' \(IntMatMul\): IntMatMul sums 33 "
                                             "values, more than the 32"):
            model.run(*longer, fast=fast)
