import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ir.graph import Graph, TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs
from intq.runtime.executor import execute

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(1)


@st.composite
def pool_cases(draw):
    rank = draw(st.sampled_from([1, 2]))
    kernel = [draw(st.integers(1, 3)) for _ in range(rank)]
    strides = [draw(st.integers(1, 3)) for _ in range(rank)]
    dilations = [draw(st.integers(1, 2)) for _ in range(rank)]
    pads = [draw(st.integers(0, k - 1)) for k in kernel] * 2
    pads = [draw(st.integers(0, p)) for p in pads]
    spatial = [draw(st.integers((k - 1) * d + 1, 9)) for k, d in zip(kernel, dilations)]
    attrs = dict(kernel_shape=kernel, strides=strides, dilations=dilations, pads=pads,
                 ceil_mode=draw(st.integers(0, 1)))
    return attrs, spatial


@settings(max_examples=60, deadline=None)
@given(pool_cases())
def test_max_pool_matches_ort(case):
    attrs, spatial = case
    x = rng.standard_normal((2, 3, *spatial)).astype(np.float32)
    check_op("MaxPool", [x], attrs, num_outputs=2)


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.sampled_from([np.float32, np.int8, np.uint8, np.int32]))
def test_max_pool_without_indices_gives_the_same_maxima(case, dtype):
    """``evaluate_first`` (what the executors call when Indices is omitted) returns exactly
    ``evaluate``'s first output."""
    attrs, spatial = case
    x = (rng.standard_normal((2, 3, *spatial)) * 50).astype(dtype)
    opdef = get_op("MaxPool")
    ir_attrs = normalize_attrs("MaxPool", attrs)
    (first,) = opdef.evaluate_first(ir_attrs, x)
    want = opdef.evaluate(ir_attrs, x)[0]
    assert first.dtype == want.dtype and first.tobytes() == want.tobytes()


def test_executors_skip_an_omitted_max_pool_indices_output(monkeypatch):
    """With Indices omitted both paths run ``evaluate_first``; named, both outputs come."""
    x = rng.integers(-100, 100, (2, 3, 6, 6)).astype(np.int8)
    attrs = normalize_attrs("MaxPool", dict(kernel_shape=[2, 2], strides=[2, 2]))
    opdef, calls = get_op("MaxPool"), []
    first = opdef.evaluate_first
    monkeypatch.setattr(opdef, "evaluate_first", lambda *a: calls.append(1) or first(*a))
    for outputs, used in ((["y", ""], 2), (["y", "i"], 0)):
        calls.clear()
        graph = Graph("pool")
        graph.add_input("x", "int8", (2, 3, 6, 6))
        graph.add_node("MaxPool", ["x"], outputs, attrs=attrs)
        graph.outputs = [o for o in outputs if o]
        for fast in (False, True):
            got = execute(graph, {"x": x}, fast=fast)
            want = get_op("MaxPool").evaluate(attrs, x)
            assert got["y"].tobytes() == want[0].tobytes()
            if "i" in outputs:
                assert got["i"].tobytes() == want[1].tobytes()
        assert len(calls) == used


@settings(max_examples=60, deadline=None)
@given(pool_cases(), st.integers(0, 1))
def test_average_pool_matches_ort(case, count_include_pad):
    attrs, spatial = case
    x = rng.standard_normal((2, 3, *spatial)).astype(np.float32)
    check_op("AveragePool", [x], dict(attrs, count_include_pad=count_include_pad))


def test_max_pool_ties_pick_first_and_indices_column_major():
    x = np.round(rng.standard_normal((2, 2, 6, 5))).astype(np.float32)
    attrs = dict(kernel_shape=[2, 3], strides=[1, 2], pads=[1, 0, 0, 1], storage_order=1)
    check_op("MaxPool", [x], attrs, num_outputs=2)


def test_max_pool_on_integers():
    x = rng.integers(-100, 100, (1, 2, 5, 5)).astype(np.int8)
    check_op("MaxPool", [x], dict(kernel_shape=[2, 2], pads=[1, 1, 1, 1], strides=[2, 2]))


def test_max_pool_3d():
    x = rng.standard_normal((1, 2, 4, 5, 6)).astype(np.float32)
    check_op("MaxPool", [x], dict(kernel_shape=[2, 2, 3], strides=[2, 1, 2]), num_outputs=2)


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 5, 6), (1, 2, 3, 4, 5)])
def test_global_pools_match_ort(op, shape):
    check_op(op, [rng.standard_normal(shape).astype(np.float32)])


def test_pools_infer_symbolic_batch():
    attrs = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    x = TensorType(("N", 64, 32, 32), "float32")
    values, indices = infer_types("MaxPool", attrs, [x])
    assert values == TensorType(("N", 64, 16, 16), "float32")
    assert indices == TensorType(("N", 64, 16, 16), "int64")
    assert infer_types("AveragePool", attrs, [x]) == [TensorType(("N", 64, 16, 16), "float32")]
    assert infer_types("GlobalAveragePool", {}, [x]) == [TensorType(("N", 64, 1, 1), "float32")]
