"""The int64 ONNX forms of intq's primitives equal the NumPy ones on every int64 input class:
rounding ties, negative values, magnitudes up to 2^62 and beyond, every shift 0..62."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import bit_length, i_sqrt, round_shift, round_shift_by
from intq.ir.graph import Graph, Value
from intq.quant import fixedpoint
from intq.quant.nonlinear import i_sqrt as np_i_sqrt

from .parity import assert_identical, run_levels

INT64 = st.integers(-(1 << 62), 1 << 62)


def run_onnx(emit: Callable[..., str], *arrays: np.ndarray) -> list[np.ndarray]:
    """Outputs (one per optimization level) of the graph ``emit(builder, *inputs)`` writes."""
    graph = Graph("arith")
    names = [graph.add_input(f"x{i}", a.dtype.name, a.shape) for i, a in enumerate(arrays)]
    graph.values["y"] = Value("y", "int64", None)
    b = OnnxBuilder(graph, 17)
    b.env["y"] = emit(b, *[b.get(n) for n in names])
    model = b.model(["y"], "test")
    return [outs[0] for outs in run_levels(model, dict(zip(names, arrays)))]


def ties(k: np.ndarray, odd: np.ndarray) -> np.ndarray:
    """``(2t + 1) * 2^(k-1)``: values exactly half way between two multiples of ``2^k``, kept
    within the contract's ``|x| <= 2^62`` (the overflow proof's bound on ``acc * m``)."""
    room = (1 << (63 - np.maximum(k, 1))) - 1
    odd = np.clip(odd, -room, room) | 1
    return np.where(k > 0, odd << np.maximum(k - 1, 0), odd)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.int64, (4, 3), elements=INT64),
       odd=arrays(np.int64, (4, 3), elements=st.integers(-(1 << 20), 1 << 20).map(
           lambda t: 2 * t + 1)),
       k=arrays(np.int64, (3,), elements=st.integers(0, 40)))
def test_round_shift_per_channel_constants(x: np.ndarray, odd: np.ndarray, k: np.ndarray):
    both = np.concatenate([x, ties(k, odd)])
    want = fixedpoint.round_half_up_shift(both, k)
    for got in run_onnx(lambda b, v: round_shift(b, v, k), both):
        assert_identical(got, want)


@settings(max_examples=40, deadline=None)
@given(x=arrays(np.int64, (16,), elements=INT64),
       k=arrays(np.int64, (16,), elements=st.integers(0, 62)))
def test_round_shift_by_per_element(x: np.ndarray, k: np.ndarray):
    both = np.concatenate([x, ties(k, 2 * (x >> 42) + 1)])
    shifts = np.concatenate([k, k])
    want = fixedpoint.round_half_up_shift(both, shifts)
    for got in run_onnx(lambda b, v, s: round_shift_by(b, v, s), both, shifts):
        assert_identical(got, want)


def test_round_shift_extremes():
    k = np.arange(63, dtype=np.int64)
    x = np.concatenate([1 << k, -(1 << k), (1 << k) >> 1, -((1 << k) >> 1), [1 << 62, -(1 << 62)]])
    for shift in (1, 31, 62):
        want = fixedpoint.round_half_up_shift(x, shift)
        for got in run_onnx(lambda b, v: round_shift(b, v, np.int64(shift)), x):
            assert_identical(got, want)


@settings(max_examples=30, deadline=None)
@given(arrays(np.int64, (32,), elements=st.integers(0, (1 << 63) - 1)))
def test_bit_length(x: np.ndarray):
    x = np.concatenate([x, [0, 1, 2, 3, (1 << 62) - 1, 1 << 62, (1 << 63) - 1]])
    for got in run_onnx(bit_length, x):
        assert_identical(got, fixedpoint.bit_length(x))


def test_i_sqrt_at_every_root_boundary():
    """``r^2 - 1``, ``r^2`` and ``r^2 + 2r`` for roots of every bit length: the values where a
    Newton iteration stopped one step early would be off by one."""
    roots = np.unique(np.concatenate([(1 << np.arange(32)) + d for d in (-1, 0, 1)]))
    roots = roots[(roots > 0) & (roots < 3037000499)]
    n = np.concatenate([roots * roots - 1, roots * roots, roots * roots + 2 * roots,
                        [0, 1, 2, (1 << 62), (1 << 63) - 1]])
    for got in run_onnx(i_sqrt, n):
        assert_identical(got, np_i_sqrt(n))


@settings(max_examples=30, deadline=None)
@given(arrays(np.int64, (32,), elements=st.integers(0, (1 << 63) - 1)))
def test_i_sqrt_random(n: np.ndarray):
    for got in run_onnx(i_sqrt, n):
        assert_identical(got, np_i_sqrt(n))
