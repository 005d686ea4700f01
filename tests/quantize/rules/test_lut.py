import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.ops.registry import get_op
from intq.quantize.scales import quantize_to

from ..graphs import finish, integer_ops, normal, op, quantize

UNARY = [("Sigmoid", {}), ("Tanh", {}), ("HardSigmoid", {}), ("HardSwish", {}), ("Gelu", {}),
         ("Erf", {}), ("Exp", {}), ("Softplus", {}), ("Mish", {}), ("Elu", {}),
         ("LeakyRelu", {"alpha": 0.1}), ("Sqrt", {}), ("Reciprocal", {})]


@pytest.mark.parametrize("op_type, attrs", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_is_a_table_of_the_float_function(op_type, attrs):
    g = Graph()
    x = g.add_input("x", "float32", ("N", 16))
    finish(g, op(g, op_type, [x], **attrs))
    data = normal(64, 16, seed=1)
    if op_type in ("Sqrt", "Reciprocal"):
        data = np.abs(data) + 0.25
    model = quantize(g, data)
    assert integer_ops(model) == ["IntLUT"]
    q_in = model.quantize_inputs(data)[0]
    grid = (q_in.astype(np.float64) * model.input_quant[0].scale).astype(np.float32)
    want = quantize_to(get_op(op_type).evaluate(g.nodes[0].attrs, grid)[0],
                       model.output_quant[0])
    np.testing.assert_array_equal(model.run_int(q_in)[0], want)


def test_prelu_with_a_scalar_slope_and_wide_inputs():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 16))
    finish(g, op(g, "PRelu", [x, np.float32(0.25)]))
    data = normal(64, 16, seed=1)
    model = quantize(g, data, act_bits=12)
    assert integer_ops(model) == ["Requantize", "IntLUT"]
    assert len(model.graph.constants[model.graph.nodes[2].inputs[1]]) == 1024
    out = model.run(data)[0]
    np.testing.assert_allclose(out, np.where(data < 0, data / 4, data), atol=0.01)


def test_prelu_with_a_slope_per_channel_is_not_a_table():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    finish(g, op(g, "PRelu", [x, np.full(4, 0.25, np.float32)]))
    model = quantize(g, normal(64, 4, seed=1))
    assert "IntLUT" not in integer_ops(model) and model.exact


def test_a_sixteen_bit_square_root_is_an_exact_integer_root_not_a_narrowed_table():
    """A power spectrum's magnitude: values crowd near zero, where the root is steepest, and a
    10-bit table would flatten them; the integer root is as close as float Sqrt on the same
    16-bit input, to one output step."""
    g = Graph()
    x = g.add_input("x", "float32", ("N", 64))
    finish(g, op(g, "Sqrt", [op(g, "Mul", [x, x])]))
    data = (normal(32, 64, seed=1) * np.logspace(-3, 0, 64)).astype(np.float32)
    model = quantize(g, data, act_bits=16)
    assert "IntSqrt" in integer_ops(model) and model.exact
    restored = quantize(g, data, act_bits=16, restore_ops=["Sqrt"])
    step = model.graph.values[model.graph.outputs[0]].quant
    step = model.output_quant[0].scale if step is None else step.scale
    err = np.abs(model.run(data)[0] - np.abs(data)).max()
    assert err <= np.abs(restored.run(data)[0] - np.abs(data)).max() + 2 * step
