"""The executor's prepared fast path: fusions and cached kernels never change a byte, and a
plan follows edits of its graph."""

import numpy as np

from intq.ops import infer_shapes
from intq.runtime import executor
from intq.runtime.executor import execute

from .int_graphs import attention_graph, cnn_graph


def inputs(shape, batch=9, seed=0):
    return np.random.default_rng(seed).integers(-128, 128, (batch, *shape)).astype(np.int8)


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def plan_of(graph, feeds):
    return executor._fast_plan(graph, feeds, list(graph.outputs))


def test_plan_fuses_accumulators_with_their_requantize_and_matches_the_reference():
    for build, shape in ((cnn_graph, (3, 8, 8)), (attention_graph, (6, 8))):
        graph = build()
        x = inputs(shape)
        ref, fast = execute(graph, {"x": x}), execute(graph, {"x": x}, fast=True)
        assert all(same(fast[o], ref[o]) for o in graph.outputs)
        plan = plan_of(graph, {"x": x})
        assert len(plan.steps) < len(graph.nodes)  # something was fused


def test_wanted_or_observed_accumulators_are_not_fused():
    graph = cnn_graph()
    x = inputs((3, 8, 8))
    acc = next(n.outputs[0] for n in graph.nodes if n.op == "IntConv")
    ref = execute(graph, {"x": x}, outputs=[acc, *graph.outputs])
    fast = execute(graph, {"x": x}, outputs=[acc, *graph.outputs], fast=True)
    assert all(same(fast[o], ref[o]) for o in ref)
    seen = {}
    execute(graph, {"x": x}, fast=True, on_value=seen.setdefault)
    assert acc in seen and same(seen[acc], ref[acc])


def test_plan_follows_edits_of_attributes_and_constants():
    graph = cnn_graph()
    x = inputs((3, 8, 8))
    execute(graph, {"x": x}, fast=True)
    conv = next(n for n in graph.nodes if n.op == "IntConv")
    conv.attrs["pads"] = [0, 0, 0, 0]
    weight = conv.inputs[1]
    graph.constants[weight] = -graph.constants[weight]
    for v in graph.values.values():
        if v.name not in graph.inputs and v.name not in graph.constants:
            v.shape = None
    infer_shapes(graph)
    ref, fast = execute(graph, {"x": x}), execute(graph, {"x": x}, fast=True)
    assert all(same(fast[o], ref[o]) for o in graph.outputs)


def test_intermediate_feeds_skip_producers_and_disable_fusion_across_them():
    graph = cnn_graph()
    x = inputs((3, 8, 8))
    conv = next(n for n in graph.nodes if n.op == "IntConv")
    acc = execute(graph, {"x": x}, outputs=[conv.outputs[0]])[conv.outputs[0]]
    ref = execute(graph, {"x": x, conv.outputs[0]: acc})
    fast = execute(graph, {"x": x, conv.outputs[0]: acc}, fast=True)
    assert all(same(fast[o], ref[o]) for o in graph.outputs)


def test_inputs_outside_the_declared_precision_still_match():
    graph = cnn_graph()
    x = inputs((3, 8, 8)).astype(np.int32) * 2**12
    graph.values["x"].dtype = "int32"
    ref = execute(graph, {"x": x})
    fast = execute(graph, {"x": x}, fast=True)
    assert all(same(fast[o], ref[o]) for o in graph.outputs)


def test_attributes_are_snapshotted_so_in_place_edits_invalidate_the_plan():
    graph = cnn_graph()
    plan = plan_of(graph, {"x": inputs((3, 8, 8))})
    assert plan.matches(graph)
    graph.nodes[0].attrs["acc_bits"] = 64
    assert not plan.matches(graph)
