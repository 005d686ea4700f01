import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from ..ort_reference import run_ort

FLOATS = hnp.arrays(np.float32, st.integers(1, 64),
                    elements=st.floats(-1e3, 1e3, width=32, allow_subnormal=False))
SCALES = st.floats(2.0**-10, 10.0, width=32)


@settings(max_examples=60, deadline=None)
@given(FLOATS, SCALES, st.booleans())
def test_quantize_matches_onnx_quantize_linear_bit_for_bit(x, scale, signed):
    attrs = normalize_attrs("Quantize", {"scale": scale, "signed": int(signed)})
    got = get_op("Quantize").evaluate(attrs, x)[0]
    zero = np.array(0, dtype=np.int8 if signed else np.uint8)
    want = run_ort("QuantizeLinear", [x, np.array(scale, np.float32), zero], consts=(1, 2))[0]
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.int8, st.integers(1, 64)), SCALES)
def test_dequantize_matches_onnx_dequantize_linear_bit_for_bit(q, scale):
    got = get_op("Dequantize").evaluate(normalize_attrs("Dequantize", {"scale": scale}), q)[0]
    want = run_ort("DequantizeLinear", [q, np.array(scale, np.float32)], consts=(1,))[0]
    assert got.dtype == np.float32 and got.tobytes() == want.tobytes()


def test_narrow_precision_saturates_and_ties_go_to_even():
    x = np.array([-100.0, -2.5, -0.5, 0.5, 1.5, 2.5, 100.0], dtype=np.float32)
    attrs = normalize_attrs("Quantize", {"scale": 1.0, "bits": 4})
    q = get_op("Quantize").evaluate(attrs, x)[0]
    assert q.dtype == np.int8 and q.tolist() == [-8, -2, 0, 0, 2, 2, 7]


def test_per_channel_dequantize():
    q = np.array([[1, 2], [3, 4]], dtype=np.int32)
    attrs = normalize_attrs("Dequantize", {"scale": [0.5, 2.0], "axis": 1})
    assert get_op("Dequantize").evaluate(attrs, q)[0].tolist() == [[0.5, 4.0], [1.5, 8.0]]


@pytest.mark.parametrize("bits, signed, dtype", [(8, 1, "int8"), (8, 0, "uint8"),
                                                 (12, 1, "int16"), (4, 0, "uint8")])
def test_infer_takes_the_storage_dtype_of_the_declared_bits(bits, signed, dtype):
    attrs = normalize_attrs("Quantize", {"scale": 0.1, "bits": bits, "signed": signed})
    t = get_op("Quantize").infer(attrs, [TensorType(("N", 3), "float32")], [None])
    assert t == [TensorType(("N", 3), dtype)]
    assert get_op("Dequantize").infer(normalize_attrs("Dequantize", {"scale": 0.1}),
                                      [TensorType(("N", 3), dtype)], [None]) == [
        TensorType(("N", 3), "float32")]
