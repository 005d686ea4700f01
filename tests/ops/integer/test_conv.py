import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from .references import conv_reference

op = get_op("IntConv")
INPUT_DTYPES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-2**15, 2**15 - 1),
                "int32": (-2**30, 2**30)}


@st.composite
def conv_cases(draw, dtypes=("int8", "uint8", "int16")):
    rank = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2, 3]))
    cin, cout = draw(st.sampled_from([1, 2, 3])), draw(st.sampled_from([1, 2]))
    kernel = [draw(st.integers(1, 3)) for _ in range(rank)]
    attrs = {"kernel_shape": kernel, "strides": [draw(st.integers(1, 3)) for _ in kernel],
             "dilations": [draw(st.integers(1, 2)) for _ in kernel],
             "pads": [draw(st.integers(0, 2)) for _ in range(2 * rank)], "group": groups}
    spatial = [draw(st.integers((k - 1) * d + 1, 7))
               for k, d in zip(kernel, attrs["dilations"])]
    dtype = draw(st.sampled_from(dtypes))
    lo, hi = INPUT_DTYPES[dtype]
    x = draw(hnp.arrays(dtype, (draw(st.integers(1, 2)), groups * cin, *spatial),
                        elements=st.integers(lo, hi)))
    w = draw(hnp.arrays(np.int8, (groups * cout, cin, *kernel), elements=st.integers(-127, 127)))
    b = draw(st.none() | hnp.arrays(np.int32, groups * cout,
                                    elements=st.integers(-2**20, 2**20)))
    return x, w, b, normalize_attrs("IntConv", attrs)


@settings(max_examples=80, deadline=None)
@given(conv_cases())
def test_int_conv_matches_the_big_int_definition(case):
    x, w, b, attrs = case
    got = op.evaluate(attrs, x, w, b)[0]
    assert got.dtype == np.int32
    assert got.tolist() == conv_reference(x, w, b, attrs).tolist()


@settings(max_examples=80, deadline=None)
@given(conv_cases(dtypes=("int8", "uint8", "int16", "int32")))
def test_fast_path_is_bit_identical_to_the_reference(case):
    x, w, b, attrs = case
    attrs = {**attrs, "acc_bits": 64}
    want = op.evaluate(attrs, x, w, b)[0]
    got = op.evaluate_fast(attrs, x, w, b)[0]
    assert got.dtype == want.dtype == np.int64
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("dtype, high", [("uint8", 255), ("int16", 2**15 - 1),
                                         ("int64", 2**45)], ids=["float32", "float64", "int64"])
def test_each_fast_tier_is_exact_at_its_extreme(dtype, high):
    """Inputs at the extreme with weights of one sign make the partial sums as large as the
    tier allows (uint8: < 2^24, int16: < 2^53, 2^45: beyond, so the int64 fallback)."""
    rng = np.random.default_rng(1)
    x = np.full((2, 16, 6, 6), high, dtype=dtype)
    x[:, :, ::2] = rng.integers(0, high, (2, 16, 3, 6), endpoint=True)
    w = np.full((4, 16, 3, 3), 127, dtype=np.int8)
    w[1] = -127
    attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                        "acc_bits": 64})
    want = conv_reference(x, w, None, attrs)
    assert op.evaluate_fast(attrs, x, w)[0].tolist() == want.tolist()


def test_depthwise_and_channel_multiplier_match_the_definition():
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (2, 6, 9, 9)).astype(np.int8)
    w = rng.integers(-127, 128, (12, 1, 3, 3)).astype(np.int8)
    b = rng.integers(-999, 999, 12).astype(np.int32)
    attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "pads": [1, 0, 1, 2],
                                        "strides": [2, 1], "group": 6})
    want = conv_reference(x, w, b, attrs).tolist()
    assert op.evaluate(attrs, x, w, b)[0].tolist() == want
    assert op.evaluate_fast(attrs, x, w, b)[0].tolist() == want


def test_accumulator_dtype_follows_acc_bits():
    x = np.ones((1, 2, 4, 4), dtype=np.int8)
    w = np.ones((3, 2, 3, 3), dtype=np.int8)
    for bits in (32, 64):
        attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "acc_bits": bits})
        for evaluate in (op.evaluate, op.evaluate_fast):
            assert evaluate(attrs, x, w)[0].dtype == np.dtype(f"int{bits}")
        t = op.infer(attrs, [TensorType(("N", 2, 4, 4), "int8"), TensorType((3, 2, 3, 3), "int8")],
                     [None, w])
        assert t == [TensorType(("N", 3, 2, 2), f"int{bits}")]


def test_accumulator_that_does_not_fit_int32_is_refused_not_wrapped():
    x = np.full((1, 1, 3, 3), 2**30, dtype=np.int32)
    w = np.full((1, 1, 3, 3), 127, dtype=np.int8)
    attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3]})
    for evaluate in (op.evaluate, op.evaluate_fast):
        with pytest.raises(ValueError, match="beyond int32"):
            evaluate(attrs, x, w)
    wide = op.evaluate_fast({**attrs, "acc_bits": 64}, x, w)[0]
    assert wide.item() == 9 * 127 * 2**30


def test_bad_acc_bits_and_mismatched_weights_are_rejected():
    x = np.ones((1, 2, 4, 4), dtype=np.int8)
    attrs = normalize_attrs("IntConv", {"kernel_shape": [3, 3], "acc_bits": 16})
    with pytest.raises(ValueError, match="acc_bits"):
        op.evaluate(attrs, x, np.ones((3, 2, 3, 3), dtype=np.int8))
    with pytest.raises(ValueError, match="does not fit"):
        op.evaluate({**attrs, "acc_bits": 32}, x, np.ones((3, 4, 3, 3), dtype=np.int8))


@pytest.mark.parametrize("strides", [[1, 1], [2, 3]])
def test_pointwise_conv_with_groups_strides_and_bias(strides):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 256, (3, 6, 7, 8)).astype(np.uint8)
    w = rng.integers(-127, 128, (4, 3, 1, 1)).astype(np.int8)
    b = rng.integers(-2**20, 2**20, 4).astype(np.int32)
    attrs = normalize_attrs("IntConv", {"kernel_shape": [1, 1], "strides": strides, "group": 2})
    want = conv_reference(x, w, b, attrs).tolist()
    assert op.evaluate(attrs, x, w, b)[0].tolist() == want
    assert op.evaluate_fast(attrs, x, w, b)[0].tolist() == want
