import numpy as np
import pytest

from intq.ir.graph import TensorType
from intq.ops import get_op

from .ort_reference import check_op, infer_types, run_ort

rng = np.random.default_rng(9)


def randn(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("indices", [np.array(1), np.array([0, -1, 2]),
                                     np.array([[0, 1], [-2, 2]])])
@pytest.mark.parametrize("const", [True, False])
def test_gather_matches_ort(axis, indices, const):
    check_op("Gather", [randn(3, 4, 3), indices.astype(np.int64)], {"axis": axis},
             consts=(1,) if const else ())


def test_gather_int32_indices():
    check_op("Gather", [randn(5, 2), np.array([4, -5, 0], np.int32)])


def test_gather_infers_symbolic():
    (out,) = infer_types("Gather", {"axis": 1}, [TensorType(("N", "S", 64), "float32"),
                                                 TensorType((), "int64")])
    assert out == TensorType(("N", 64), "float32")
    (out,) = infer_types("Gather", {"axis": 0}, [TensorType((1000, 64), "float32"),
                                                 TensorType(("N", "S"), "int64")])
    assert out == TensorType(("N", "S", 64), "float32")


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements_matches_ort(axis):
    data = randn(3, 4)
    size = data.shape[axis]
    indices = rng.integers(-size, size, (3, 4) if axis == 0 else (3, 2)).astype(np.int64)
    if axis == 0:
        indices = indices[:2]
    check_op("GatherElements", [data, indices], {"axis": axis})


@pytest.mark.parametrize("batch_dims,data_shape,indices", [
    (0, (3, 4), [[0, 1], [2, -1]]),
    (0, (3, 4, 2), [[1], [2]]),
    (1, (2, 3, 4), [[[1, 2]], [[0, 3]]]),
    (0, (3, 4), [[[0, 1]], [[1, 2]]]),
])
def test_gather_nd_matches_ort(batch_dims, data_shape, indices):
    check_op("GatherND", [randn(*data_shape), np.array(indices, np.int64)],
             {"batch_dims": batch_dims})


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_nd_matches_ort(reduction):
    indices = np.array([[0], [2], [-1]], np.int64)
    check_op("ScatterND", [randn(4, 3), indices, randn(3, 3)], {"reduction": reduction})


def test_scatter_nd_element_indices():
    indices = np.array([[0, 1], [2, 2]], np.int64)
    check_op("ScatterND", [randn(3, 3), indices, randn(2)])


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("reduction", ["none", "add", "max"])
def test_scatter_elements_matches_ort(axis, reduction):
    indices = np.array([[0, 2], [1, 0]], np.int64) if axis else np.array([[2, 1, 0]], np.int64)
    updates = randn(*indices.shape)
    check_op("ScatterElements", [randn(3, 3), indices, updates],
             {"axis": axis, "reduction": reduction})


@pytest.mark.parametrize("largest", [0, 1])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("k", [1, 3])
def test_topk_with_ties_matches_ort(largest, axis, k):
    x = rng.integers(0, 4, (5, 6)).astype(np.float32)
    check_op("TopK", [x, np.array([k], np.int64)], {"largest": largest, "axis": axis},
             consts=(1,), num_outputs=2)


def test_nonzero_matches_ort_and_infers_unknown_count():
    x = (rng.random((3, 4)) < 0.4).astype(np.float32)
    (want,) = run_ort("NonZero", [x])
    (got,) = get_op("NonZero").evaluate({}, x)
    np.testing.assert_array_equal(got, want)
    (out,) = infer_types("NonZero", {}, [TensorType(("N", 4), "float32")])
    assert out == TensorType((2, "?"), "int64")


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_one_hot_matches_ort(axis):
    indices = np.array([[0, 3], [-1, 2]], np.int64)
    values = np.array([0.5, 2.0], np.float32)
    check_op("OneHot", [indices, np.array(4, np.int64), values], {"axis": axis}, consts=(1, 2))


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, -1, 2])
def test_trilu_matches_ort(upper, k):
    check_op("Trilu", [randn(2, 4, 5), None if k is None else np.array(k, np.int64)],
             {"upper": upper}, consts=(1,))


def test_topk_infers_with_and_without_constant_k():
    x = TensorType(("N", 10), "float32")
    values, indices = infer_types("TopK", {}, [x, TensorType((1,), "int64")],
                                  [None, np.array([3], np.int64)])
    assert values == TensorType(("N", 3), "float32")
    assert indices == TensorType(("N", 3), "int64")
    values, indices = infer_types("TopK", {"axis": 0}, [x, TensorType((1,), "int64")])
    assert values == TensorType(("?", 10), "float32")
    assert indices.dtype == "int64"
