import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.quant.fixedpoint import int_range
from intq.quant.nonlinear.lut import apply_lut, build_lut
from intq.quant.qparams import dequantize, quantize

_erf = np.vectorize(math.erf)

FUNCTIONS = {
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "exp": np.exp,
}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(FUNCTIONS)), st.floats(1e-3, 0.2), st.sampled_from([4, 8, 10]),
       st.booleans(), st.floats(1e-3, 0.1), st.sampled_from([8, 16]), st.booleans())
def test_lut_is_exactly_the_quantized_function(name, in_scale, in_bits, in_signed, out_scale,
                                               out_bits, out_signed):
    fn = FUNCTIONS[name]
    table, offset = build_lut(fn, in_scale, in_bits, in_signed, out_scale, out_bits, out_signed)
    lo, hi = int_range(in_bits, in_signed)
    q = np.arange(lo, hi + 1)
    y = apply_lut(q, table, offset)
    assert y.dtype.kind in "iu" and len(table) == 2**in_bits
    expected = quantize(fn(q * in_scale), out_scale, out_bits, out_signed)
    assert np.array_equal(y, expected)
    out_lo, out_hi = int_range(out_bits, out_signed)
    reference = fn(q * in_scale)
    inside = (reference >= out_lo * out_scale) & (reference <= out_hi * out_scale)
    error = np.abs(dequantize(y, out_scale, dtype=np.float64) - reference)[inside]
    assert error.max(initial=0) <= out_scale / 2 * (1 + 1e-9)


def test_lut_applies_elementwise_to_any_shape():
    table, offset = build_lut(np.tanh, 0.05, 8, True, 1 / 127, 8, True)
    q = np.arange(-128, 128).reshape(4, 8, 8).astype(np.int8)
    out = apply_lut(q, table, offset)
    assert out.shape == q.shape and out.dtype == np.int8
    assert np.array_equal(out[1:2], apply_lut(q[1:2], table, offset))
    assert apply_lut(np.array([0]), table, offset).tolist() == [0]


def test_lut_refuses_inputs_outside_its_range():
    table, offset = build_lut(np.tanh, 0.05, 8, True, 1 / 127, 8, True)
    for bad in ([128], [-129]):
        with pytest.raises(ValueError, match="range"):
            apply_lut(np.array(bad), table, offset)


def test_lut_rejects_bad_functions_and_widths():
    with pytest.raises(ValueError, match="bits"):
        build_lut(np.tanh, 0.1, 17, True, 0.1, 8, True)
    with pytest.raises(ValueError, match="NaN"):
        build_lut(np.log, 0.1, 8, True, 0.1, 8, True)
    with pytest.raises(ValueError, match="elementwise"):
        build_lut(np.sum, 0.1, 8, True, 0.1, 8, True)
