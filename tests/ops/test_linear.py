import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.errors import UnsupportedOpError
from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(0)


def randn(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


@st.composite
def conv_cases(draw):
    rank = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2, 3]))
    per_group_in = draw(st.sampled_from([1, 2]))
    per_group_out = draw(st.sampled_from([1, 2]))
    kernel = [draw(st.integers(1, 3)) for _ in range(rank)]
    strides = [draw(st.integers(1, 3)) for _ in range(rank)]
    dilations = [draw(st.integers(1, 2)) for _ in range(rank)]
    pads = [draw(st.integers(0, 2)) for _ in range(2 * rank)]
    spatial = [draw(st.integers((k - 1) * d + 1, 9)) for k, d in zip(kernel, dilations)]
    batch = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    return rank, groups, per_group_in, per_group_out, kernel, strides, dilations, pads, \
        spatial, batch, bias


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_conv_matches_ort(case):
    _, groups, cin, cout, kernel, strides, dilations, pads, spatial, batch, bias = case
    x = randn(batch, groups * cin, *spatial)
    w = randn(groups * cout, cin, *kernel)
    inputs = [x, w, randn(groups * cout) if bias else None]
    attrs = dict(kernel_shape=kernel, strides=strides, dilations=dilations, pads=pads,
                 group=groups)
    check_op("Conv", inputs, attrs, consts=(1, 2))


def test_conv_depthwise_2d():
    x, w = randn(2, 8, 10, 10), randn(16, 1, 3, 3)
    check_op("Conv", [x, w, randn(16)], dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8,
                                           strides=[2, 2]), consts=(1, 2))


def test_conv_defaults_follow_kernel_rank():
    attrs = normalize_attrs("Conv", {"kernel_shape": [3, 3]})
    assert attrs == {"kernel_shape": [3, 3], "strides": [1, 1], "dilations": [1, 1],
                     "pads": [0, 0, 0, 0], "group": 1}
    x, w = randn(1, 2, 5, 5), randn(3, 2, 3, 3)
    check_op("Conv", [x, w], {"kernel_shape": [3, 3]}, consts=(1,))


def test_conv_requires_kernel_shape():
    with pytest.raises(UnsupportedOpError, match="kernel_shape"):
        normalize_attrs("Conv", {"strides": [1, 1]}, "conv0")


def test_conv_infers_symbolic_batch_and_channels():
    attrs = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}
    (out,) = infer_types("Conv", attrs, [TensorType(("N", 3, 32, 32), "float32"),
                                         TensorType((8, 3, 3, 3), "float32"), None])
    assert out == TensorType(("N", 8, 16, 16), "float32")
    (out,) = infer_types("Conv", attrs, [TensorType(("N", 3, "H", 32), "float32"),
                                         TensorType((8, 3, 3, 3), "float32")])
    assert out.shape == ("N", 8, "?", 16)
    same = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
    (out,) = infer_types("Conv", same, [TensorType(("N", 1, 32, "W"), "float32"),
                                        TensorType((16, 1, 3, 3), "float32")])
    assert out.shape == ("N", 16, 32, "W")


@pytest.mark.parametrize("groups,cin,cout", [(1, 3, 4), (2, 4, 2), (4, 4, 1)])
@pytest.mark.parametrize("strides,pads,output_padding,dilations", [
    ([1, 1], [0, 0, 0, 0], [0, 0], [1, 1]),
    ([2, 2], [1, 1, 1, 1], [1, 1], [1, 1]),
    ([2, 3], [0, 1, 2, 0], [1, 0], [2, 1]),
])
def test_conv_transpose_matches_ort(groups, cin, cout, strides, pads, output_padding,
                                    dilations):
    x, w = randn(2, cin, 5, 4), randn(cin, cout, 3, 2)
    attrs = dict(kernel_shape=[3, 2], strides=strides, pads=pads, group=groups,
                 output_padding=output_padding, dilations=dilations)
    check_op("ConvTranspose", [x, w, randn(cout * groups)], attrs, consts=(1, 2))


def test_conv_transpose_output_shape_sets_pads():
    x, w = randn(1, 2, 4, 4), randn(2, 3, 3, 3)
    attrs = dict(kernel_shape=[3, 3], strides=[2, 2], output_shape=[8, 7])
    check_op("ConvTranspose", [x, w], attrs, consts=(1,))


def test_conv_transpose_1d():
    x, w = randn(2, 3, 7), randn(3, 2, 4)
    check_op("ConvTranspose", [x, w], dict(kernel_shape=[4], strides=[2], pads=[1, 1]),
             consts=(1,))


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("alpha,beta,c_shape", [(1.0, 1.0, (6,)), (0.5, 2.0, (5, 6)),
                                                (1.0, 1.0, None), (1.5, 0.25, (1, 6))])
def test_gemm_matches_ort(trans_a, trans_b, alpha, beta, c_shape):
    a = randn(*((4, 5) if trans_a else (5, 4)))
    b = randn(*((6, 4) if trans_b else (4, 6)))
    c = None if c_shape is None else randn(*c_shape)
    attrs = dict(alpha=alpha, beta=beta, transA=trans_a, transB=trans_b)
    check_op("Gemm", [a, b, c], attrs, consts=(1, 2))


def test_gemm_infers_symbolic_rows():
    (out,) = infer_types("Gemm", {"transB": 1}, [TensorType(("N", 16), "float32"),
                                                  TensorType((10, 16), "float32"),
                                                  TensorType((10,), "float32")])
    assert out == TensorType(("N", 10), "float32")


@pytest.mark.parametrize("a_shape,b_shape", [
    ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4, 5)),
    ((2, 3, 4), (4,)), ((4,), (4,)), ((1, 3, 4), (2, 4, 6)),
])
def test_matmul_matches_ort(a_shape, b_shape):
    check_op("MatMul", [randn(*a_shape), randn(*b_shape)])


def test_matmul_integer_inputs():
    a = rng.integers(-50, 50, (3, 4)).astype(np.int32)
    b = rng.integers(-50, 50, (4, 2)).astype(np.int32)
    check_op("MatMul", [a, b])


def test_matmul_infers_symbolic_batch():
    (out,) = infer_types("MatMul", {}, [TensorType(("N", "S", 64), "float32"),
                                        TensorType((64, 32), "float32")])
    assert out == TensorType(("N", "S", 32), "float32")
    (out,) = infer_types("MatMul", {}, [TensorType(("N", 4, 8), "float32"),
                                        TensorType((8,), "float32")])
    assert out == TensorType(("N", 4), "float32")


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 5), (2, 3, 4, 5)])
def test_batch_normalization_matches_ort(shape):
    c = shape[1]
    var = rng.uniform(0.1, 2.0, c).astype(np.float32)
    inputs = [randn(*shape), randn(c), randn(c), randn(c), var]
    check_op("BatchNormalization", inputs, {"epsilon": 1e-3}, consts=(1, 2, 3, 4))


def test_batch_normalization_rejects_training_mode():
    attrs = normalize_attrs("BatchNormalization", {"training_mode": 1})
    ones = np.ones(2, np.float32)
    with pytest.raises(UnsupportedOpError, match="training_mode"):
        get_op("BatchNormalization").evaluate(attrs, randn(1, 2, 3), ones, ones, ones, ones)


@pytest.mark.parametrize("equation,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ii->i", [(4, 4)]),
    ("ij->ji", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),
])
def test_einsum_matches_ort(equation, shapes):
    check_op("Einsum", [randn(*s) for s in shapes], {"equation": equation})
