import numpy as np
import pytest
from onnx import helper, numpy_helper

from intq.ir.graph import TensorType

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(10)


@pytest.mark.parametrize("start,end", [(0, None), (1, None), (-2, None), (0, 2), (1, -1),
                                       (-10, 10), (3, 1)])
def test_shape_matches_ort(start, end):
    attrs = {"start": start} if end is None else {"start": start, "end": end}
    check_op("Shape", [np.zeros((2, 3, 4, 5), np.float32)], attrs)


def test_shape_and_size_infer_int64():
    x = TensorType(("N", 3, 8), "float32")
    assert infer_types("Shape", {}, [x]) == [TensorType((3,), "int64")]
    assert infer_types("Shape", {"start": 1}, [x]) == [TensorType((2,), "int64")]
    assert infer_types("Size", {}, [x]) == [TensorType((), "int64")]


def test_size_matches_ort():
    check_op("Size", [np.zeros((2, 3, 4), np.float32)])


@pytest.mark.parametrize("value,dtype", [(None, "float32"), (1.5, "float32"), (7, "int64"),
                                         (-3, "int32"), (1, "bool")])
def test_constant_of_shape_matches_ort(value, dtype):
    onnx_attrs, attrs = {}, {}
    if value is not None:
        tensor = np.array([value], dtype=dtype)
        onnx_attrs = {"value": numpy_helper.from_array(tensor)}
        attrs = {"value": value, "dtype": dtype}
    check_op("ConstantOfShape", [np.array([2, 3], np.int64)], onnx_attrs, attrs=attrs,
             consts=(0,))


def test_constant_of_shape_from_dynamic_shape_knows_rank():
    (out,) = infer_types("ConstantOfShape", {"value": 0, "dtype": "int64"},
                         [TensorType((3,), "int64")])
    assert out == TensorType(("?", "?", "?"), "int64")


@pytest.mark.parametrize("start,limit,delta,dtype", [
    (0, 10, 3, np.int64), (10, 2, -2, np.int32), (5, 5, 1, np.int64),
    (0.5, 3.7, 0.3, np.float32), (1.0, -2.0, -0.25, np.float32),
])
def test_range_matches_ort(start, limit, delta, dtype):
    inputs = [np.array(v, dtype) for v in (start, limit, delta)]
    check_op("Range", inputs, consts=(0, 1, 2))


@pytest.mark.parametrize("k", [0, 1, -2])
@pytest.mark.parametrize("dtype", [None, "int64"])
def test_eye_like_matches_ort(k, dtype):
    onnx_attrs = {"k": k}
    attrs = {"k": k}
    if dtype:
        onnx_attrs["dtype"] = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        attrs["dtype"] = dtype
    check_op("EyeLike", [np.zeros((3, 5), np.float32)], onnx_attrs, attrs=attrs)
