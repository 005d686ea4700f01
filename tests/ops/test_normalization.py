import numpy as np
import pytest

from intq.ir.graph import TensorType

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(6)


def randn(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
def test_softmax_family_matches_ort(op, axis):
    x = randn(2, 3, 5) * 10
    x[0, 0, 0] = 80.0
    check_op(op, [x], {"axis": axis})


@pytest.mark.parametrize("axis", [-1, -2, 1])
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_normalization_matches_ort(axis, with_bias):
    x = randn(2, 3, 8) * 3 + 1
    norm_shape = x.shape[axis:]
    inputs = [x, randn(*norm_shape), randn(*norm_shape) if with_bias else None]
    check_op("LayerNormalization", inputs, {"axis": axis, "epsilon": 1e-4}, consts=(1, 2),
             num_outputs=3)


def test_layer_normalization_infers_statistics_shapes():
    y, mean, inv_std = infer_types("LayerNormalization", {},
                                   [TensorType(("N", "S", 64), "float32"),
                                    TensorType((64,), "float32")])
    assert y == TensorType(("N", "S", 64), "float32")
    assert mean == inv_std == TensorType(("N", "S", 1), "float32")


@pytest.mark.parametrize("shape", [(2, 3, 6), (2, 3, 4, 5)])
def test_instance_normalization_matches_ort(shape):
    c = shape[1]
    check_op("InstanceNormalization", [randn(*shape), randn(c), randn(c)], consts=(1, 2))


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("axis", [-1, 0])
def test_lp_normalization_matches_ort(p, axis):
    check_op("LpNormalization", [randn(3, 4)], {"p": p, "axis": axis})


def test_softmax_keeps_symbolic_shape():
    t = TensorType(("N", "H", "S", "S"), "float32")
    assert infer_types("Softmax", {"axis": -1}, [t]) == [t]
