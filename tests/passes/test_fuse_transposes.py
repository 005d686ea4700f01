import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import fuse_transposes


def test_transpose_chain_composes_and_cancelling_pair_disappears():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 3, 4))
    a = op(g, "Transpose", [op(g, "Transpose", [x], perm=[0, 2, 3, 1])], perm=[0, 3, 1, 2])
    b = op(g, "Transpose", [op(g, "Transpose", [op(g, "Relu", [x])], perm=[0, 2, 1, 3])],
           perm=[0, 1, 3, 2])
    finish(g, op(g, "Add", [a, op(g, "Neg", [x])]), b)
    after = assert_preserves(g, fuse_transposes)
    assert ops_of(after) == ["Add", "Neg", "Relu", "Transpose"]
    assert next(n for n in after.nodes if n.op == "Transpose").attrs["perm"] == [0, 2, 3, 1]


def test_inner_transpose_with_other_readers_is_kept():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 3))
    inner = op(g, "Transpose", [x], perm=[1, 2, 0])
    outer = op(g, "Transpose", [inner], perm=[2, 0, 1])
    finish(g, op(g, "Neg", [outer]), op(g, "Relu", [inner]))
    after = assert_preserves(g, fuse_transposes)
    assert ops_of(after) == ["Neg", "Relu", "Transpose"]
    assert next(n for n in after.nodes if n.op == "Neg").inputs == [x]


def test_identity_and_default_permutations_and_constants():
    g = Graph()
    x = g.add_input("x", "float32", (3, 4))
    same = op(g, "Transpose", [x], perm=[0, 1])
    w = op(g, "Transpose", [const(g, np.arange(12.0).reshape(4, 3))])
    finish(g, op(g, "Add", [op(g, "Transpose", [op(g, "Transpose", [same])])] + [w]))
    after = assert_preserves(g, fuse_transposes)
    assert ops_of(after) == ["Add"]
    np.testing.assert_array_equal(after.constants[after.nodes[0].inputs[1]],
                                  np.arange(12.0).reshape(4, 3).T)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4).flatmap(lambda r: st.tuples(st.permutations(range(r)),
                                                     st.permutations(range(r)))))
def test_any_two_permutations_compose_exactly(perms):
    first, second = perms
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 3, 4)[:len(first)])
    inner = op(g, "Transpose", [op(g, "Neg", [x])], perm=list(first))
    finish(g, op(g, "Transpose", [inner], perm=list(second)))
    after = assert_preserves(g, fuse_transposes, batches=(2,))
    assert len([n for n in after.nodes if n.op == "Transpose"]) <= 1
