import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.errors import InputError
from intq.ir.graph import TensorType
from intq.ops import get_op

op = get_op("IntMatMul")


@st.composite
def matmul_cases(draw):
    k, n = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    batch = draw(st.sampled_from([(), (2,), (3, 1), (1, 2)]))
    rows = draw(st.integers(1, 4))
    a_shape = draw(st.sampled_from([(k,), (rows, k), (*batch, rows, k)]))
    b_shape = draw(st.sampled_from([(k,), (k, n), (*batch[-1:], k, n)]))
    dtype, lo, hi = draw(st.sampled_from([("int8", -128, 127), ("uint8", 0, 255),
                                          ("int32", -2**31, 2**31 - 1)]))
    a = draw(hnp.arrays(dtype, a_shape, elements=st.integers(lo, hi)))
    b = draw(hnp.arrays(np.int8, b_shape, elements=st.integers(-128, 127)))
    bias = None
    if len(b_shape) > 1 and draw(st.booleans()):
        bias = draw(hnp.arrays(np.int32, n, elements=st.integers(-2**31, 2**31 - 1)))
    return a, b, bias


def big_int_matmul(a, b, bias):
    y = np.matmul(a.astype(object), b.astype(object))
    return y + bias.astype(object) if bias is not None else y


@settings(max_examples=100, deadline=None)
@given(matmul_cases())
def test_int_matmul_is_the_exact_product_on_both_paths(case):
    a, b, bias = case
    want = np.asarray(big_int_matmul(a, b, bias)).tolist()
    ref = op.evaluate({"acc_bits": 64}, a, b, bias)[0]
    fast = op.evaluate_fast({"acc_bits": 64}, a, b, bias)[0]
    assert isinstance(ref, np.ndarray) and isinstance(fast, np.ndarray)
    assert ref.dtype == fast.dtype == np.int64
    assert ref.tolist() == want
    assert fast.tobytes() == ref.tobytes()


def test_int32_accumulator_and_its_overflow_guard():
    a = np.full((2, 3), 127, dtype=np.int8)
    b = np.full((3, 2), -128, dtype=np.int8)
    for evaluate in (op.evaluate, op.evaluate_fast):
        y = evaluate({"acc_bits": 32}, a, b, np.array([5, -5], dtype=np.int32))[0]
        assert y.dtype == np.int32 and y.tolist() == [[-48763, -48773]] * 2
        with pytest.raises(ValueError, match="beyond int32"):
            evaluate({"acc_bits": 32}, np.full((1, 2), 2**31 - 1, np.int32), b[:2])


def test_activation_times_activation_uses_the_operand_bound():
    rng = np.random.default_rng(0)
    q = rng.integers(-128, 128, (2, 4, 16, 8)).astype(np.int8)
    k = rng.integers(-128, 128, (2, 4, 8, 16)).astype(np.int8)
    want = np.matmul(q.astype(np.int64), k.astype(np.int64))
    assert op.evaluate_fast({"acc_bits": 32}, q, k)[0].tolist() == want.tolist()


def test_infer_gives_the_accumulator_dtype_and_broadcast_shape():
    t = op.infer({"acc_bits": 32}, [TensorType(("N", 5, 8), "int8"), TensorType((8, 3), "int8"),
                                    TensorType((3,), "int32")], [None] * 3)
    assert t == [TensorType(("N", 5, 3), "int32")]
    t = op.infer({"acc_bits": 64}, [TensorType((8,), "uint8"), TensorType((8, 3), "int8")],
                 [None] * 2)
    assert t == [TensorType((3,), "int64")]


def test_symbolic_inner_dimension_is_bounded_by_max_length_and_checked_when_run():
    from intq.ops.integer.ranges import IntRange
    from intq.ops.registry import normalize_attrs

    types = [TensorType(("N", 4, "T"), "uint8"), TensorType(("N", "T", 8), "int8"), None]
    ranges = [IntRange.of(0, 255), IntRange.of(-128, 127)]
    with pytest.raises(ValueError, match="static inner dimension"):
        op.value_range(normalize_attrs("IntMatMul", {}), ranges, [None, None], types)
    attrs = normalize_attrs("IntMatMul", {"max_length": 100})
    (acc,) = op.value_range(attrs, ranges, [None, None], types)
    assert (acc.low, acc.high) == (-128 * 255 * 100, 127 * 255 * 100)
    rng = np.random.default_rng(1)
    p = rng.integers(0, 256, (1, 4, 100), np.uint8)
    v = rng.integers(-128, 128, (1, 100, 8), np.int8)
    want = np.matmul(p.astype(np.int64), v.astype(np.int64)).tolist()
    for run in (op.evaluate, op.evaluate_fast):
        assert run(attrs, p, v)[0].tolist() == want
        with pytest.raises(InputError, match="101 values, more than the 100"):
            run(attrs, np.zeros((1, 4, 101), np.uint8), np.zeros((1, 101, 8), np.int8))
