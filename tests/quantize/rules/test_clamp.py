import numpy as np

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, integer_ops, normal, op, quantize


def test_clip_after_a_data_movement_op_gets_integer_bounds():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 8))
    finish(g, op(g, "Clip", [op(g, "Reshape", [x, np.array([0, 2, 4])]), np.float32(-0.5),
                             np.float32(1.0)]))
    data = normal(32, 8, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["Reshape", "Clip"]
    clip = model.graph.nodes[-2]
    bounds = [model.graph.constants[i] for i in clip.inputs[1:]]
    assert all(b.dtype == np.int8 for b in bounds)
    assert_close(model, g, data, steps=1)
