import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper

from intq.quant.fixedpoint import int_range, storage_dtype
from intq.quant.qparams import (
    MSE_CANDIDATES,
    dequantize,
    quantize,
    bias_fitting_scales,
    quantize_bias,
    quantize_weight_per_channel,
    symmetric_scale,
)

SCALES = st.floats(1e-4, 1e2)
BITS = st.integers(2, 16)


@given(st.floats(1e-6, 1e6), BITS, st.booleans())
def test_symmetric_scale_maps_threshold_to_largest_level(threshold, bits, signed):
    scale = symmetric_scale(threshold, bits, signed)
    assert scale * int_range(bits, signed)[1] == pytest.approx(threshold, rel=1e-12)
    assert symmetric_scale(1.0, 8, True) == 1 / 127


@pytest.mark.parametrize("threshold", [0.0, -1.0, np.nan, np.inf])
def test_symmetric_scale_rejects_empty_ranges(threshold):
    with pytest.raises(ValueError, match="threshold"):
        symmetric_scale(threshold, 8, True)


@given(st.data(), SCALES, BITS, st.booleans())
def test_round_trip_error_is_at_most_half_a_step_inside_the_range(data, scale, bits, signed):
    lo, hi = int_range(bits, signed)
    x = data.draw(hnp.arrays(np.float64, st.integers(1, 20),
                             elements=st.floats(lo * scale, hi * scale)))
    q = quantize(x, scale, bits, signed)
    assert q.dtype == storage_dtype(bits, signed)
    assert np.all(np.abs(dequantize(q, scale, dtype=np.float64) - x) <= scale / 2 * (1 + 1e-12))


@given(SCALES, BITS, st.booleans())
def test_out_of_range_values_saturate(scale, bits, signed):
    lo, hi = int_range(bits, signed)
    x = np.array([-np.inf, (lo - 3) * scale, (hi + 3) * scale, np.inf])
    assert quantize(x, scale, bits, signed).tolist() == [lo, lo, hi, hi]


def test_ties_round_half_to_even():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5], dtype=np.float32)
    assert quantize(x, 1.0, 8, True).tolist() == [0, 2, 2, 0, -2, -2]
    assert quantize(x * 0.25, 0.25, 8, True).tolist() == [0, 2, 2, 0, -2, -2]


def _ort_quantize_linear(x: np.ndarray, scale: float, signed: bool) -> np.ndarray:
    elem = TensorProto.INT8 if signed else TensorProto.UINT8
    graph = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["y"])], "q",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("y", elem, [None])],
        [helper.make_tensor("s", TensorProto.FLOAT, [], [scale]),
         helper.make_tensor("zp", elem, [], [0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.mark.parametrize("signed", [True, False])
def test_float32_quantize_matches_onnx_quantize_linear(signed):
    rng = np.random.default_rng(0)
    scale = np.float32(0.0371)
    ties = (rng.integers(-300, 300, 20000) + 0.5).astype(np.float32) * scale
    x = np.concatenate([ties, rng.normal(0, 4, 20000).astype(np.float32)])
    assert np.array_equal(quantize(x, scale, 8, signed), _ort_quantize_linear(x, scale, signed))


@given(st.data(), st.integers(0, 2))
def test_per_channel_quantize_uses_each_channels_scale(data, axis):
    shape = [2, 3, 2]
    scales = data.draw(hnp.arrays(np.float64, shape[axis], elements=SCALES))
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-100, 100)))
    q = quantize(x, scales, 8, True, axis=axis)
    for index in np.ndindex(*shape):
        assert q[index] == quantize(np.array([x[index]]), scales[index[axis]], 8, True)[0]
    expand = [1, 1, 1]
    expand[axis] = -1
    back = dequantize(q, scales, axis=axis, dtype=np.float64)
    assert np.array_equal(back, q * scales.reshape(expand))


@pytest.mark.parametrize("call, match", [
    (lambda: quantize(np.array([np.nan]), 1.0, 8, True), "NaN"),
    (lambda: quantize(np.array([1]), 1.0, 8, True), "floating"),
    (lambda: quantize(np.ones(3), 0.0, 8, True), "positive"),
    (lambda: quantize(np.ones((2, 3)), np.ones(3), 8, True), "axis"),
    (lambda: quantize(np.ones((2, 3)), np.ones(2), 8, True, axis=1), "match"),
    (lambda: dequantize(np.ones(3), 1.0), "integer"),
])
def test_quantize_rejects_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=4, max_side=5),
                  elements=st.floats(-10, 10, width=32)), st.sampled_from([4, 8, 16]))
def test_weight_per_channel_is_max_abs_symmetric(w, bits):
    q, scales = quantize_weight_per_channel(w, bits, axis=0)
    qmax = int_range(bits, True)[1]
    assert q.dtype == storage_dtype(bits, True) and scales.shape == (w.shape[0],)
    assert np.abs(q.astype(np.int64)).max() <= qmax
    for c in range(w.shape[0]):
        if np.abs(w[c]).max() > 0:
            assert np.abs(q[c].astype(np.int64)).max() == qmax
            assert np.abs(q[c] * scales[c] - w[c]).max() <= scales[c] / 2 * (1 + 1e-9)


def channel_errors(w, q, scales):
    return ((w - q.astype(np.float64) * scales[:, None]) ** 2).sum(axis=1)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 40)),
                  elements=st.floats(-10, 10)), st.sampled_from([2, 3, 4, 8]))
def test_mse_clipping_never_loses_to_max_and_picks_the_best_candidate(w, bits):
    q_max, s_max = quantize_weight_per_channel(w, bits, axis=0, clipping="max")
    q, scales = quantize_weight_per_channel(w, bits, axis=0, clipping="mse")
    error = channel_errors(w, q, scales)
    assert (error <= channel_errors(w, q_max, s_max) + 1e-12).all()
    hi = int_range(bits, True)[1]
    lo = -hi
    assert np.abs(q.astype(np.int64)).max() <= hi
    for c in np.flatnonzero(np.abs(w).max(axis=1) > 0):
        top = np.abs(w[c]).max() / hi
        best, best_error = None, np.inf          # the full search, largest fraction first
        for fraction in MSE_CANDIDATES[::-1]:
            s = top * fraction
            candidate = ((w[c] - np.clip(np.rint(w[c] / s), lo, hi) * s) ** 2).sum()
            assert error[c] <= candidate + 1e-12
            if candidate < best_error:
                best, best_error = s, candidate
        assert scales[c] == best


def test_mse_clipping_clips_an_outlier_at_four_bits():
    w = np.concatenate([np.linspace(-1, 1, 63), [8.0]])[None, :]
    q, scales = quantize_weight_per_channel(w, 4, axis=0, clipping="mse")
    assert scales[0] < 8.0 / 7 and q.max() == 7
    with pytest.raises(ValueError, match="clipping"):
        quantize_weight_per_channel(w, 4, axis=0, clipping="l1")


def test_zero_channels_get_zero_codes_and_a_borrowed_scale():
    w = np.array([[0.0, 0.0], [1.0, -0.5], [0.0, 2.54]])
    q, scales = quantize_weight_per_channel(w, 8, axis=0)
    assert q[0].tolist() == [0, 0] and scales[0] == scales.max() == 2.54 / 127
    q, scales = quantize_weight_per_channel(np.zeros((3, 4)), 8, axis=0)
    assert not q.any() and scales.tolist() == [1.0, 1.0, 1.0]


def test_weight_per_channel_on_output_axis_of_matmul():
    w = np.array([[1.0, -4.0], [0.5, 2.0]])
    q, scales = quantize_weight_per_channel(w, 8, axis=1)
    assert scales.tolist() == [1 / 127, 4 / 127]
    assert q.tolist() == [[127, -127], [64, 64]]


@given(hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-50, 50)),
       st.floats(1e-3, 1.0), st.floats(1e-3, 1.0))
def test_bias_quantizes_at_accumulator_scale(bias, x_scale, w_scale):
    w_scales = np.full(bias.shape, w_scale)
    q = quantize_bias(bias, x_scale, w_scales)
    assert q.dtype == np.int32
    assert np.array_equal(q, np.rint(bias / (x_scale * w_scales)))
    assert np.all(np.abs(q * (x_scale * w_scales) - bias) <= x_scale * w_scale / 2 * (1 + 1e-9))


def test_bias_refuses_int32_overflow_and_shape_mismatch():
    with pytest.raises(ValueError, match="int32"):
        quantize_bias(np.array([1.0]), 1e-5, np.array([1e-5]))
    with pytest.raises(ValueError, match="shape"):
        quantize_bias(np.array([1.0, 2.0]), 0.1, np.array([0.1, 0.1, 0.1]))


@given(hnp.arrays(np.float64, st.integers(1, 8), elements=st.floats(-1e4, 1e4)),
       st.floats(1e-6, 1e-2), st.floats(1e-9, 1e-3))
def test_bias_fitting_scales_are_the_least_raise_that_fits(bias, x_scale, w_scale):
    w_scales = np.full(bias.shape, w_scale)
    scales = bias_fitting_scales(bias, x_scale, w_scales)
    assert quantize_bias(bias, x_scale, scales).dtype == np.int32
    raised = scales != w_scales
    assert np.all(scales[raised] > w_scales[raised])
    for channel in np.flatnonzero(raised):
        smaller = scales.copy()
        smaller[channel] = np.nextafter(scales[channel], 0)
        assert np.abs(np.rint(bias[channel] / (x_scale * smaller[channel]))) > 2 ** 31 - 1
