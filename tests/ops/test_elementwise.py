import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from intq.ir.graph import TensorType
from intq.ops.elementwise import truncated_divide

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(3)


def randn(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def positive(*shape: int) -> np.ndarray:
    return rng.uniform(0.05, 5.0, shape).astype(np.float32)


@pytest.mark.parametrize("op,make", [
    ("Neg", randn), ("Abs", randn), ("Sign", randn), ("Sqrt", positive), ("Exp", randn),
    ("Log", positive), ("Reciprocal", positive), ("Floor", randn), ("Ceil", randn),
    ("Erf", randn), ("Sin", randn), ("Cos", randn),
])
def test_unary_matches_ort(op, make):
    check_op(op, [make(3, 7)])


def test_round_is_half_to_even():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997, 1.2, -3.7], np.float32)
    check_op("Round", [x])


def test_erf_tiny_inputs():
    check_op("Erf", [randn(100) * np.float32(1e-4)])


@pytest.mark.parametrize("op", ["Neg", "Abs", "Sign"])
def test_unary_integers(op):
    check_op(op, [rng.integers(-50, 50, (4, 5)).astype(np.int64)])


@settings(max_examples=25, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       st.sampled_from(["Add", "Sub", "Mul", "Div"]))
def test_binary_arithmetic_broadcasts_like_ort(shapes, op):
    a, b = randn(*shapes.input_shapes[0]), positive(*shapes.input_shapes[1])
    check_op(op, [a, b])


def test_pow_float_and_integer_exponent():
    base = positive(3, 4)
    check_op("Pow", [base, randn(4)])
    check_op("Pow", [randn(3, 4), np.array([2, 3, 0, 1], np.int64)], consts=(1,))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_division_truncates_toward_zero(dtype):
    a = rng.integers(-100, 100, (50,)).astype(dtype)
    signs = np.where(rng.random(50) < 0.5, -1, 1).astype(dtype)
    b = rng.integers(1, 9, (50,)).astype(dtype) * signs
    check_op("Div", [a, b])


@settings(max_examples=200, deadline=None)
@given(st.integers(-2**62, 2**62), st.integers(-2**31, 2**31).filter(lambda v: v != 0))
def test_truncated_divide_is_c_division(a, b):
    expected = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
    assert truncated_divide(np.int64(a), np.int64(b)) == expected


@pytest.mark.parametrize("fmod", [0, 1])
def test_mod_integer_sign_rules(fmod):
    a = rng.integers(-30, 30, (40,)).astype(np.int32)
    signs = np.where(rng.random(40) < 0.5, -1, 1).astype(np.int32)
    b = rng.integers(1, 7, (40,)).astype(np.int32) * signs
    check_op("Mod", [a, b], {"fmod": fmod})


def test_mod_float_fmod():
    check_op("Mod", [randn(20) * 5, positive(20)], {"fmod": 1})


@pytest.mark.parametrize("op", ["Min", "Max", "Sum", "Mean"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_variadic_broadcast(op, count):
    shapes = [(2, 3, 4), (3, 1), (4,)][:count]
    check_op(op, [randn(*s) for s in shapes])


def test_broadcast_infers_symbolic_dims():
    (out,) = infer_types("Add", {}, [TensorType(("N", 1, 4), "float32"),
                                     TensorType((3, 1), "float32")])
    assert out == TensorType(("N", 3, 4), "float32")
    (out,) = infer_types("Mul", {}, [TensorType(("N", "S", 8), "float32"),
                                     TensorType((1, "S", 1), "float32")])
    assert out == TensorType(("N", "S", 8), "float32")
    (out,) = infer_types("Sum", {}, [TensorType(("N", 2), "int64")] * 3)
    assert out == TensorType(("N", 2), "int64")
