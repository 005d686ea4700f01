import numpy as np
from passcheck import assert_preserves, const, finish, op, ops_of

from intq.ir.graph import Graph
from intq.passes import clamp_to_clip


def graph_with(build) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    return finish(g, build(g, x))


def test_clip_at_zero_without_max_becomes_relu():
    after = assert_preserves(graph_with(lambda g, x: op(g, "Clip", [x, const(g, 0.0)])),
                             clamp_to_clip)
    assert ops_of(after) == ["Relu"]
    inf = graph_with(lambda g, x: op(g, "Clip", [x, const(g, 0.0), const(g, np.inf)]))
    assert ops_of(assert_preserves(inf, clamp_to_clip)) == ["Relu"]


def test_max_with_zero_becomes_relu():
    after = assert_preserves(graph_with(lambda g, x: op(g, "Max", [const(g, 0.0), x])),
                             clamp_to_clip)
    assert ops_of(after) == ["Relu"]


def test_relu6_clip_and_clip_with_runtime_bound_stay():
    relu6 = graph_with(lambda g, x: op(g, "Clip", [x, const(g, 0.0), const(g, 6.0)]))
    assert_preserves(relu6, clamp_to_clip, expect_change=False)
    g = Graph()
    x = g.add_input("x", "float32", ("N", 6))
    lo = g.add_input("lo", "float32", ())
    assert_preserves(finish(g, op(g, "Clip", [x, lo])), clamp_to_clip, expect_change=False)


def test_min_max_pairs_become_one_clip():
    for outer, inner, (lo, hi) in (("Min", "Max", (-1.0, 0.5)), ("Max", "Min", (-1.0, 0.5))):
        def build(g, x):
            inner_bound = lo if inner == "Max" else hi
            outer_bound = hi if outer == "Min" else lo
            return op(g, outer, [op(g, inner, [x, const(g, inner_bound)]), const(g, outer_bound)])
        after = assert_preserves(graph_with(build), clamp_to_clip)
        assert ops_of(after) == ["Clip"]
        limits = [float(after.constants[i]) for i in after.nodes[0].inputs[1:]]
        assert limits == [lo, hi]


def test_min_max_pair_with_zero_floor_is_relu6_clip_not_relu():
    after = assert_preserves(graph_with(
        lambda g, x: op(g, "Min", [op(g, "Max", [x, const(g, 0.0)]), const(g, 6.0)])),
        clamp_to_clip)
    assert ops_of(after) == ["Clip"]


def test_look_alikes_are_left_alone():
    inverted = graph_with(lambda g, x: op(g, "Max", [op(g, "Min", [x, const(g, -1.0)]),
                                                     const(g, 1.0)]))
    assert_preserves(inverted, clamp_to_clip, expect_change=False)
    per_channel = graph_with(lambda g, x: op(g, "Max", [x, const(g, np.zeros(6))]))
    assert_preserves(per_channel, clamp_to_clip, expect_change=False)

    def shared(g, x):
        low = op(g, "Max", [x, const(g, -1.0)])
        return op(g, "Add", [op(g, "Min", [low, const(g, 1.0)]), low])
    assert ops_of(assert_preserves(graph_with(shared), clamp_to_clip,
                                   expect_change=False)) == ["Add", "Max", "Min"]
