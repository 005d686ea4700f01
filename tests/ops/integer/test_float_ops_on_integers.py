"""The float ops a quantized graph reuses on integer tensors keep the dtype and are exact.

Each op runs on int8/uint8/int32 data and on the same values as float64 (where every value
is exact); the results must agree value for value, with the integer dtype kept. Values include
the dtype's extremes, so padding with the minimum or saturating clamps are exercised.
"""

import numpy as np
import pytest

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from ..ort_reference import run_ort

DTYPES = ["int8", "uint8", "int32"]
i64 = np.int64


def sample(dtype: str) -> np.ndarray:
    info = np.iinfo(dtype)
    rng = np.random.default_rng(0)
    x = rng.integers(info.min, info.max, (2, 3, 5, 5), endpoint=True).astype(dtype)
    x[0, 0, :2, :2] = info.min
    x[1, 2, -2:, -2:] = info.max
    return x


def int_like(dtype: str, value: int) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.array(min(max(value, info.min), info.max), dtype=dtype)


CASES = {
    "Reshape": (lambda d: [np.array([2, -1], i64)], {}),
    "Flatten": (lambda d: [], {"axis": 2}),
    "Transpose": (lambda d: [], {"perm": [0, 2, 3, 1]}),
    "Squeeze": (lambda d: [np.array([0], i64)], {}, lambda x: x[:1]),
    "Unsqueeze": (lambda d: [np.array([1, -1], i64)], {}),
    "Slice": (lambda d: [np.array([1, 4], i64), np.array([5, 0], i64), np.array([2, 3], i64),
                         np.array([2, -1], i64)], {}),
    "Gather": (lambda d: [np.array([[4, 0], [2, 2]], i64)], {"axis": 3}),
    "Split": (lambda d: [np.array([2, 3], i64)], {"axis": 2}),
    "Concat": (lambda d: [sample(d)[:, :1]], {"axis": 1}),
    "Pad": (lambda d: [np.array([0, 0, 1, 2, 0, 0, 2, 1], i64)], {}),
    "MaxPool": (lambda d: [], {"kernel_shape": [3, 3], "strides": [2, 2],
                               "pads": [1, 1, 1, 1]}),
    "GlobalMaxPool": (lambda d: [], {}),
    "ReduceMax": (lambda d: [np.array([1, 3], i64)], {"keepdims": 0}),
    "Expand": (lambda d: [np.array([2, 2, 3, 5, 5], i64)], {}),
    "Tile": (lambda d: [np.array([1, 2, 1, 3], i64)], {}),
    "Identity": (lambda d: [], {}),
    "Resize": (lambda d: [None, np.array([1, 1, 2, 1.5], np.float32)], {"mode": "nearest"}),
    "Max": (lambda d: [int_like(d, 5)], {}),
    "Min": (lambda d: [sample(d)[:1, :1, :1]], {}),
    "Relu": (lambda d: [], {}),
    "Clip": (lambda d: [int_like(d, -7), int_like(d, 100)], {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op_type", sorted(CASES))
def test_reused_op_keeps_dtype_and_is_exact(op_type, dtype):
    extra, attrs, *prepare = CASES[op_type]
    x = prepare[0](sample(dtype)) if prepare else sample(dtype)
    inputs = [x, *extra(dtype)]
    opdef = get_op(op_type)
    attrs = normalize_attrs(op_type, attrs)
    got = opdef.evaluate(attrs, *inputs)
    as_float = [a.astype(np.float64) if a is not None and a.dtype == x.dtype else a
                for a in inputs]
    want = opdef.evaluate(attrs, *as_float)
    outputs = len(got) if op_type == "Split" else 1
    for g, w in zip(got[:outputs], want[:outputs]):
        assert g.dtype == x.dtype
        np.testing.assert_array_equal(g.astype(np.float64), w)
    types = [None if a is None else TensorType(a.shape, a.dtype.name) for a in inputs]
    consts = [None] + [a for a in inputs[1:]]
    assert opdef.infer(attrs, types, consts)[0].dtype == dtype


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_max_pool_pads_with_the_dtype_minimum_like_onnx_runtime(dtype):
    x = sample(dtype)
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    got = get_op("MaxPool").evaluate(normalize_attrs("MaxPool", attrs), x)[0]
    want = run_ort("MaxPool", [x], attrs)[0]
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_clip_saturates_integer_bounds_beyond_the_dtype():
    x = np.array([-128, -1, 0, 127], dtype=np.int8)
    y = get_op("Clip").evaluate({}, x, np.array(-300, np.int32), np.array(300, np.int32))[0]
    assert y.dtype == np.int8 and y.tolist() == [-128, -1, 0, 127]
    y = get_op("Clip").evaluate({}, x, np.array(0, np.int64), None)[0]
    assert y.tolist() == [0, 0, 0, 127]
