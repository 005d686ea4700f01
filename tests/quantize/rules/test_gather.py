import numpy as np

from intq.ir.graph import Graph

from ..graphs import finish, integer_ops, normal, op


def test_embedding_table_becomes_an_integer_table():
    import intq

    g = Graph()
    tokens = g.add_input("tokens", "int64", ("N", 5))
    table = normal(10, 4, seed=1)
    finish(g, op(g, "Gather", [table, tokens], axis=0))
    data = np.random.default_rng(0).integers(0, 10, (16, 5))
    model = intq.quantize(g, data, progress=False)
    assert integer_ops(model) == ["Gather"]
    assert model.input_quant == [None]
    q_table = model.graph.constants[model.graph.nodes[0].inputs[0]]
    assert q_table.dtype == np.int8 and np.abs(q_table).max() == 127
    out = model.run(data)[0]
    np.testing.assert_allclose(out, table[data], atol=model.output_quant[0].scale / 2 + 1e-7)
    np.testing.assert_array_equal(model.run_int(data)[0], q_table[data])
