import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.errors import IntqError
from intq.ir.graph import QuantInfo
from intq.runtime.executor import execute
from intq.runtime.overflow import (OverflowProofError, accumulator_bits, fit_accumulators,
                                   prove_no_overflow)

from .int_graphs import Builder, attention_graph, cnn_graph

INT8 = st.integers(-128, 127)


def observed_extremes(graph, x):
    seen: dict[str, int] = {}

    def record(name, array):
        if array.dtype.kind in "iu" and array.size:
            seen[name] = max(seen.get(name, 0), int(np.abs(array.astype(np.int64)).max()))

    execute(graph, {"x": x}, on_value=record)
    return seen


@pytest.mark.parametrize("build", [cnn_graph, attention_graph])
def test_bounds_cover_every_integer_tensor_and_are_recorded(build):
    graph = build()
    bounds = prove_no_overflow(graph)
    integer_values = {n for n, v in graph.values.items() if v.dtype in ("int8", "uint8", "int32")}
    assert integer_values <= set(bounds)
    for name, value in graph.values.items():
        if value.quant is not None:
            assert value.quant.bound == bounds[name]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 3), st.data())
def test_cnn_bounds_are_sound_for_any_input_within_its_precision(seed, data):
    graph = cnn_graph(seed)
    bounds = prove_no_overflow(graph)
    x = data.draw(hnp.arrays(np.int8, (3, 3, 8, 8), elements=INT8 | st.sampled_from([-128, 127])))
    for name, peak in observed_extremes(graph, x).items():
        assert peak <= bounds[name], name


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 3), st.data())
def test_attention_bounds_are_sound_for_any_input_within_its_precision(seed, data):
    graph = attention_graph(seed)
    bounds = prove_no_overflow(graph)
    x = data.draw(hnp.arrays(np.int8, (2, 6, 8), elements=INT8 | st.sampled_from([-128, 127])))
    for name, peak in observed_extremes(graph, x).items():
        assert peak <= bounds[name], name


@pytest.mark.parametrize("signed", [True, False])
def test_conv_bound_is_reached_by_the_sign_of_the_weights(signed):
    b = Builder("conv", 3)
    x = b.input("x", ("N", 4, 3, 3), signed=signed)
    w = b.rng.integers(-127, 128, (5, 4, 3, 3)).astype(np.int8)
    bias = b.rng.integers(-500, 500, 5).astype(np.int32)
    acc = b.node("IntConv", [x, b.const("w", w), b.const("b", bias)], kernel_shape=[3, 3])
    graph = b.finish(acc)
    bound = prove_no_overflow(graph)[acc]
    lo, hi = (-128, 127) if signed else (0, 255)
    reached = 0
    for c in range(5):
        for top, bottom in ((hi, lo), (lo, hi)):
            x_adv = np.where(w[c] > 0, top, bottom).astype(graph.values["x"].dtype)[None]
            reached = max(reached, abs(int(execute(graph, {"x": x_adv})[acc][0, c, 0, 0])))
    assert reached == bound


def test_matmul_bound_is_reached_by_the_sign_of_the_weights():
    b = Builder("mm", 4)
    x = b.input("x", ("N", 7))
    w = b.rng.integers(-128, 128, (7, 6)).astype(np.int8)
    acc = b.node("IntMatMul", [x, b.const("w", w)])
    graph = b.finish(acc)
    bound = prove_no_overflow(graph)[acc]
    adversarial = np.concatenate([np.where(w.T > 0, 127, -128), np.where(w.T > 0, -128, 127)])
    y = execute(graph, {"x": adversarial.astype(np.int8)})[acc]
    assert int(np.abs(y.astype(np.int64)).max()) == bound


def wide_conv_graph(acc_bits: int = 32):
    """int16 inputs into 64 x 7 x 7 taps of 127: 2^15 * 398272 needs 34 bits."""
    b = Builder("wide", 5)
    b.graph.add_input("x", "int16", ("N", 64, 7, 7))
    b.graph.values["x"].quant = QuantInfo(16, True, 0.01)
    w = b.const("w", np.full((2, 64, 7, 7), 127, dtype=np.int8))
    acc = b.node("IntConv", ["x", w], kernel_shape=[7, 7], acc_bits=acc_bits)
    b.graph.values[acc].quant = QuantInfo(32, True)
    return b.finish(b.requantize(acc, 2.0**-30, 2, mult_bits=24)), acc


def test_an_accumulator_beyond_int32_is_rejected_naming_the_node():
    graph, acc = wide_conv_graph()
    with pytest.raises(OverflowProofError) as info:
        prove_no_overflow(graph)
    message = str(info.value)
    assert "node 'intconv'" in message and "int32" in message and "acc_bits=64" in message
    assert "\n" not in message and isinstance(info.value, IntqError)


def test_fit_accumulators_widens_what_needs_it_and_narrows_the_rest():
    graph, acc = wide_conv_graph(acc_bits=64)
    cnn = cnn_graph()
    fit_accumulators(graph)
    assert graph.node("intconv").attrs["acc_bits"] == 64
    assert graph.values[acc].dtype == "int64" and graph.values[acc].quant.bits == 35
    assert accumulator_bits(graph) == 35
    x = np.full((1, 64, 7, 7), -2**15, dtype=np.int16)
    y = execute(graph, {"x": x}, outputs=[acc])[acc]
    assert y.dtype == np.int64 and (y == -2**15 * 64 * 49 * 127).all()
    fit_accumulators(cnn)
    assert all(n.attrs["acc_bits"] == 32 for n in cnn.nodes if "acc_bits" in n.attrs)


def test_requantize_product_beyond_2_pow_62_is_rejected():
    b = Builder("rq", 6)
    b.graph.add_input("x", "int32", ("N", 4))
    b.graph.values["x"].quant = QuantInfo(32, True)
    y = b.node("Requantize", ["x", b.const("m", np.array(2**31 - 1)),
                              b.const("k", np.array(62))])
    graph = b.finish(y)
    prove_no_overflow(graph)
    graph.values["x"].quant = QuantInfo(33, True)
    graph.values["x"].dtype = "int64"
    with pytest.raises(OverflowProofError, match="node 'requantize'.*2\\^62"):
        prove_no_overflow(graph)


def test_declared_precision_must_hold_the_bound():
    graph = cnn_graph()
    acc = graph.node("intconv").outputs[0]
    graph.values[acc].quant = QuantInfo(16, True)
    with pytest.raises(OverflowProofError, match="intconv.*declared 16-bit signed"):
        prove_no_overflow(graph)
    graph.values[acc].quant = QuantInfo(20, True)
    assert graph.values[acc].quant.bound is None
    prove_no_overflow(graph)
    assert graph.values[acc].quant.bound <= 2**19


def test_lut_table_must_cover_the_input_range():
    b = Builder("lut", 7)
    x = b.input("x", ("N", 4))
    y = b.node("IntLUT", [x, b.const("t", np.arange(16, dtype=np.int8))], in_lo=-8)
    with pytest.raises(OverflowProofError, match="intlut.*not covered"):
        prove_no_overflow(b.finish(y))


def test_int_add_with_too_wide_multipliers_is_rejected():
    b = Builder("add", 8)
    b.graph.add_input("x", "int32", ("N", 4))
    y = b.node("IntAdd", ["x", "x"], multipliers=[2**31, -2**31], shift=40)
    with pytest.raises(OverflowProofError, match="intadd.*2\\^62"):
        prove_no_overflow(b.finish(y))


def test_reused_float_ops_narrow_or_keep_ranges():
    b = Builder("float_ops", 9)
    x = b.input("x", ("N", 4))
    relu = b.node("Relu", [x])
    clip = b.node("Clip", [x, b.const("lo", np.array(-3, np.int8)),
                           b.const("hi", np.array(100, np.int8))])
    both = b.node("Concat", [relu, clip], axis=1)
    padded = b.node("Pad", [relu, b.const("p", np.array([0, 2, 0, 0])),
                            b.const("v", np.array(-5, np.int8))])
    shape = b.node("Shape", [x])
    bounds = prove_no_overflow(b.finish(both, padded, shape))
    assert (bounds[relu], bounds[clip], bounds[both], bounds[padded]) == (127, 100, 127, 127)
    assert bounds[shape] == 2**63


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_integer_resize_passes_only_where_it_is_lowered_and_exported(mode):
    b = Builder(f"resize_{mode}", 10)
    x = b.input("x", ("N", 1, 4, 4))
    y = b.node("Resize", [x, "", b.const("scales", np.array([1, 1, 2, 2], np.float32))],
               mode=mode)
    graph = b.finish(y)
    if mode == "nearest":
        assert prove_no_overflow(graph)[y] == 128
    else:
        with pytest.raises(OverflowProofError, match=f"{mode} Resize on integers"):
            prove_no_overflow(graph)
