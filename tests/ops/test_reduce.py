import numpy as np
import pytest

from intq.ir.graph import TensorType

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(7)

REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
              "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]


@pytest.mark.parametrize("op", REDUCE_OPS)
@pytest.mark.parametrize("axes", [None, [1], [-1, 0], [0, 1, 2]])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_matches_ort(op, axes, keepdims):
    x = rng.uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    axes_input = None if axes is None else np.array(axes, np.int64)
    check_op(op, [x, axes_input], {"keepdims": keepdims}, consts=(1,))


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax"])
def test_reduce_noop_with_empty_axes(op):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    check_op(op, [x, np.array([], np.int64)], {"noop_with_empty_axes": 1}, consts=(1,))
    check_op(op, [x], {"noop_with_empty_axes": 1})
    check_op(op, [x, np.array([], np.int64)], {"noop_with_empty_axes": 0}, consts=(1,))


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"])
def test_reduce_integers(op):
    x = rng.integers(-5, 6, (3, 4)).astype(np.int64)
    check_op(op, [x, np.array([1], np.int64)], consts=(1,))


def test_reduce_infers_with_symbolic_batch():
    x = TensorType(("N", 16, 8, 8), "float32")
    axes = np.array([2, 3], np.int64)
    (out,) = infer_types("ReduceMean", {}, [x, TensorType((2,), "int64")], [None, axes])
    assert out == TensorType(("N", 16, 1, 1), "float32")
    (out,) = infer_types("ReduceMean", {"keepdims": 0}, [x, TensorType((2,), "int64")],
                         [None, axes])
    assert out == TensorType(("N", 16), "float32")
    (out,) = infer_types("ReduceSum", {"keepdims": 0}, [x])
    assert out == TensorType((), "float32")
    (out,) = infer_types("ReduceSum", {}, [x, TensorType((2,), "int64")])
    assert out.shape is None


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("keepdims", [0, 1])
@pytest.mark.parametrize("select_last_index", [0, 1])
def test_arg_reduce_ties(op, axis, keepdims, select_last_index):
    x = rng.integers(0, 3, (4, 5)).astype(np.float32)
    check_op(op, [x], dict(axis=axis, keepdims=keepdims, select_last_index=select_last_index))


def test_argmax_infers_symbolic():
    (out,) = infer_types("ArgMax", {"axis": -1, "keepdims": 0},
                         [TensorType(("N", 10), "float32")])
    assert out == TensorType(("N",), "int64")


@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
@pytest.mark.parametrize("axis", [0, -1])
def test_cumsum_matches_ort(exclusive, reverse, axis):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    check_op("CumSum", [x, np.array(axis, np.int64)], dict(exclusive=exclusive, reverse=reverse),
             consts=(1,))
