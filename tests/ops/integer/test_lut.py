import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.quant.fixedpoint import int_range
from intq.quant.nonlinear.lut import build_lut
from intq.quant.qparams import quantize

op = get_op("IntLUT")


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


@settings(deadline=None)
@given(st.integers(2, 10), st.booleans(), st.floats(1e-3, 1.0))
def test_lut_is_the_quantized_function_at_every_input(bits, signed, scale):
    table, offset = build_lut(sigmoid, scale, bits, signed, 1 / 255, 8, False)
    lo, hi = int_range(bits, signed)
    q = np.arange(lo, hi + 1).astype(np.int16)
    y = op.evaluate({"in_lo": -offset}, q, table)[0]
    want = quantize(sigmoid(q.astype(np.float64) * scale), 1 / 255, 8, False)
    assert y.dtype == np.uint8 and y.tolist() == want.tolist()


def test_input_outside_the_table_is_an_error_not_a_wrap():
    table = np.arange(16, dtype=np.int8)
    with pytest.raises(ValueError, match="outside the table"):
        op.evaluate({"in_lo": -8}, np.array([8], dtype=np.int8), table)


def test_output_dtype_is_the_tables():
    assert op.infer({"in_lo": -128}, [TensorType(("N",), "int8"), TensorType((256,), "uint8")],
                    [None, None]) == [TensorType(("N",), "uint8")]
