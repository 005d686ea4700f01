import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.quantize import QuantizeError
from intq.quantize import lower as lowering
from intq.runtime.executor import run

from .graphs import finish, normal, op, quantize
from .test_float_region import DATA, small_net


def relative_error(model, graph) -> float:
    want = run(graph, DATA)[0]
    return float(np.abs(model.run(DATA)[0] - want).max() / np.abs(want).max())


def test_sixteen_bit_activations_are_closer_to_float():
    g = small_net()
    a8 = quantize(g, DATA, auto_precision={"enabled": False})
    a16 = quantize(g, DATA, act_bits=16)
    assert a16.exact and a16.input_quant[0].bits == 16
    assert a16.graph.values[a16.graph.inputs[0]].dtype == "float32"
    assert a16.graph.values[a16.graph.nodes[0].outputs[0]].dtype == "int16"
    assert relative_error(a16, g) < relative_error(a8, g) / 1.5


def test_per_layer_activation_bits_set_that_layer_output():
    g = small_net()
    first_conv = g.nodes[0].name
    model = quantize(g, DATA, per_layer={first_conv: {"act_bits": 4}})
    requant = next(n for n in model.graph.nodes if n.op == "Requantize")
    assert (requant.attrs["bits"], requant.attrs["hi"]) == (4, 15)


def test_input_and_output_names_are_kept():
    g = small_net()
    model = quantize(g, DATA)
    assert model.input_names == g.inputs and model.output_names == g.outputs


def test_a_kernel_that_cannot_be_planned_names_the_node(monkeypatch):
    def failing_rule(ctx, node):
        raise ValueError("the plan does not fit int64")

    monkeypatch.setattr(lowering, "rule_for", lambda op_type: failing_rule)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    finish(g, op(g, "Relu", [x]))
    with pytest.raises(QuantizeError, match="node 'relu' \\(Relu\\) has no exact integer form "
                       "here: the plan does not fit int64; add it to restore_nodes"):
        quantize(g, normal(8, 4))
