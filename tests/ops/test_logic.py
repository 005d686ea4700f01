import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from intq.ir.graph import TensorType

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(4)


def small_values(shape, dtype) -> np.ndarray:
    """Few distinct values, so comparisons hit equality often."""
    return rng.integers(-2, 3, shape).astype(dtype)


@pytest.mark.parametrize("op", ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
def test_comparisons_match_ort(op, dtype):
    check_op(op, [small_values((3, 4), dtype), small_values((4,), dtype)])


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_binary_logic_matches_ort(op):
    check_op(op, [rng.random((2, 3)) < 0.5, rng.random((3,)) < 0.5])


def test_not_and_isnan():
    check_op("Not", [rng.random((3, 4)) < 0.5])
    x = rng.standard_normal((3, 4)).astype(np.float32)
    x[0, 1] = np.nan
    check_op("IsNaN", [x])


@settings(max_examples=25, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3))
def test_where_broadcasts_three_ways(shapes):
    cond_shape, x_shape, y_shape = shapes.input_shapes
    inputs = [rng.random(cond_shape) < 0.5, rng.standard_normal(x_shape).astype(np.float32),
              rng.standard_normal(y_shape).astype(np.float32)]
    check_op("Where", inputs)


def test_where_on_integers():
    check_op("Where", [np.array([True, False, True]), np.arange(3, dtype=np.int64),
                       np.array(-1, dtype=np.int64)])


def test_logic_infers_bool_and_value_dtypes():
    x = TensorType(("N", 4), "float32")
    assert infer_types("Less", {}, [x, TensorType((4,), "float32")]) == [
        TensorType(("N", 4), "bool")]
    cond = TensorType((1, 4), "bool")
    assert infer_types("Where", {}, [cond, x, TensorType((), "float32")]) == [x]
    assert infer_types("Not", {}, [cond]) == [cond]
