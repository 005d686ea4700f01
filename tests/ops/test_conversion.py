import numpy as np
import pytest
from onnx import helper

from intq.errors import UnsupportedOpError
from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(5)


def onnx_enum(dtype: str) -> int:
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


@pytest.mark.parametrize("source,target", [
    ("float32", "int32"), ("float32", "int64"), ("float32", "uint8"), ("float32", "int8"),
    ("float32", "bool"), ("float32", "float64"), ("float32", "float16"), ("int64", "float32"),
    ("int32", "int64"), ("int64", "int32"), ("bool", "float32"), ("uint8", "float32"),
    ("int8", "int32"),
])
def test_cast_matches_ort(source, target):
    if source.startswith("float"):
        x = (rng.standard_normal((4, 6)) * 20).astype(source)
        if target in ("uint8", "int8"):
            x = np.abs(x) if target == "uint8" else x
            x = np.clip(x, -120, 120)
        x.flat[:3] = [0.0, -0.7, 2.9]
    elif source == "bool":
        x = rng.random((4, 6)) < 0.5
    else:
        info = np.iinfo(source)
        x = rng.integers(max(info.min, -1000), min(info.max, 1000), (4, 6)).astype(source)
    check_op("Cast", [x], {"to": onnx_enum(target)}, attrs={"to": target})


def test_cast_stores_numpy_dtype_name():
    assert normalize_attrs("Cast", {"to": "int8"}) == {"to": "int8", "saturate": 1}
    (out,) = infer_types("Cast", {"to": "int64"}, [TensorType(("N", 3), "float32")])
    assert out == TensorType(("N", 3), "int64")


def test_cast_rejects_unknown_dtype():
    with pytest.raises(UnsupportedOpError, match="complex64"):
        get_op("Cast").evaluate({"to": "complex64", "saturate": 1}, np.zeros(2, np.float32))


def test_cast_like_takes_target_dtype():
    x = (rng.standard_normal((3, 3)) * 10).astype(np.float32)
    check_op("CastLike", [x, np.zeros(1, np.int32)], consts=(1,))
    (out,) = infer_types("CastLike", {}, [TensorType(("N",), "float32"),
                                          TensorType((1,), "int32")])
    assert out == TensorType(("N",), "int32")


def test_identity():
    check_op("Identity", [rng.standard_normal((2, 3)).astype(np.float32)])


def test_dropout_is_identity_with_true_mask():
    x = rng.standard_normal((2, 5)).astype(np.float32)
    check_op("Dropout", [x], num_outputs=2)
    check_op("Dropout", [x, np.array(0.3, np.float32), np.array(False)], consts=(1, 2),
             num_outputs=2)


def test_dropout_rejects_training_mode():
    x = np.zeros((2, 2), np.float32)
    with pytest.raises(UnsupportedOpError, match="training_mode"):
        get_op("Dropout").evaluate({"seed": None}, x, None, np.array(True))
