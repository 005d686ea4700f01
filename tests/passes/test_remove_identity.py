from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import remove_identity


def test_identity_and_dropout_disappear_and_output_names_survive():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    h = op(g, "Identity", [op(g, "Relu", [x])])
    d = op(g, "Dropout", [h, const(g, 0.3)])
    y = op(g, "Identity", [op(g, "Neg", [d])])
    after = assert_preserves(finish(g, y), remove_identity)
    assert ops_of(after) == ["Neg", "Relu"]
    assert after.outputs == [y]


def test_identity_from_input_to_output_stays():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    finish(g, op(g, "Identity", [x]), op(g, "Relu", [x]))
    assert_preserves(g, remove_identity, expect_change=False)


def test_dropout_with_used_mask_or_training_flag_stays():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    y, mask = op(g, "Dropout", [x], outputs=2)
    finish(g, y, mask)
    assert ops_of(assert_preserves(g, remove_identity, expect_change=False)) == ["Dropout"]
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4))
    flag = g.add_input("train", "bool", ())
    finish(g, op(g, "Dropout", [x, const(g, 0.5), flag]))
    after = g.copy()
    assert not remove_identity(after)
    assert ops_of(after) == ["Dropout"]
