"""The exactness promises on the integer kernels: identical bytes across execution paths,
batch sizes, repeated runs and thread counts."""

import numpy as np
import pytest

from intq.ops import get_op
from intq.ops.integer import jit
from intq.ops.registry import normalize_attrs
from intq.runtime.executor import execute

from .int_graphs import attention_graph, cnn_graph

GRAPHS = {"cnn": (cnn_graph, (3, 8, 8)), "attention": (attention_graph, (6, 8))}


def inputs(shape, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (batch, *shape)).astype(np.int8)
    x[: batch // 3] = np.where(x[: batch // 3] > 0, 127, -128)
    return x


def run(graph, x, fast):
    return execute(graph, {"x": x}, fast=fast)


@pytest.mark.parametrize("compiled", [True, False], ids=["jit", "numpy"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_reference_and_fast_paths_give_the_same_bytes(name, compiled, monkeypatch):
    if not compiled:  # the NumPy epilogues, as without numba
        monkeypatch.setattr(jit, "_numba", None)
    build, shape = GRAPHS[name]
    graph = build()
    x = inputs(shape, 32)
    ref, fast = run(graph, x, False), run(graph, x, True)
    for out in graph.outputs:
        assert ref[out].dtype == fast[out].dtype
        assert ref[out].tobytes() == fast[out].tobytes(), out


@pytest.mark.parametrize("fast", [False, True], ids=["reference", "fast"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_a_sample_does_not_depend_on_its_batch(name, fast):
    build, shape = GRAPHS[name]
    graph = build()
    x = inputs(shape, 32, seed=1)
    full = run(graph, x, fast)
    for batch in (1, 7):
        for start in range(0, 32 - batch + 1, 25 if batch == 1 else 9):
            part = run(graph, x[start:start + batch], fast)
            for out in graph.outputs:
                assert part[out].tobytes() == full[out][start:start + batch].tobytes(), out


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_repeated_runs_are_identical(name):
    build, shape = GRAPHS[name]
    graph = build()
    x = inputs(shape, 7, seed=2)
    first = run(graph, x, True)
    for _ in range(3):
        again = run(graph, x, True)
        assert all(again[o].tobytes() == first[o].tobytes() for o in graph.outputs)


def blas_sized_cases():
    """Kernels large enough that BLAS splits the work across threads."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (32, 16, 16, 16)).astype(np.uint8)
    w = rng.integers(-127, 128, (32, 16, 3, 3)).astype(np.int8)
    conv = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]})
    wide = x.astype(np.int16) * 100
    a = rng.integers(-128, 128, (512, 256)).astype(np.int8)
    b = rng.integers(-128, 128, (256, 384)).astype(np.int8)
    return [("IntConv", conv, (x, w)), ("IntConv", conv, (wide, w)),
            ("IntMatMul", {"acc_bits": 32}, (a, b))]


def test_fast_kernels_do_not_depend_on_the_thread_count():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    for op_type, attrs, args in blas_sized_cases():
        opdef = get_op(op_type)
        default = opdef.evaluate_fast(attrs, *args)[0]
        with threadpoolctl.threadpool_limits(1):
            single = opdef.evaluate_fast(attrs, *args)[0]
        assert single.tobytes() == default.tobytes()
        assert default.tobytes() == opdef.evaluate(attrs, *args)[0].tobytes()
