import numpy as np
from passcheck import finish, op

from intq.ir.graph import Graph
from intq.passes.shape_values import OPAQUE, DimRef, reshape_target


def reshape_of(shape, allowzero: int = 0):
    g = Graph()
    x = g.add_input("x", "float32", shape)
    target = g.add_input("t", "int64", (len(shape),))
    finish(g, op(g, "Reshape", [x, target], allowzero=allowzero))
    return g, g.nodes[0]


def elements(*items):
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def test_own_dims_become_copies_and_one_unknown_becomes_minus_one():
    g, node = reshape_of(("N", "T", 8))
    batch = DimRef("N", "elsewhere", 0)
    np.testing.assert_array_equal(reshape_target(g, node, elements(batch, OPAQUE, 2, 4)),
                                  [0, -1, 2, 4])
    np.testing.assert_array_equal(reshape_target(g, node, elements(OPAQUE, DimRef("?", "x", 1), 8)),
                                  [-1, 0, 8])


def test_unsound_targets_are_refused():
    g, node = reshape_of(("N", 8))
    assert reshape_target(g, node, elements(OPAQUE, OPAQUE)) is None
    assert reshape_target(g, node, elements(OPAQUE, -1)) is None
    assert reshape_target(g, node, elements(DimRef("M", "y", 0), 8)).tolist() == [-1, 8]
    assert reshape_target(g, node, elements(DimRef("?", "y", 1), OPAQUE)) is None
    g, node = reshape_of(("N", 8), allowzero=1)
    assert reshape_target(g, node, elements(DimRef("N", "x", 0), 2, 4)).tolist() == [-1, 2, 4]
    assert reshape_target(g, node, elements(DimRef("N", "x", 0), 0, 4)) is None
