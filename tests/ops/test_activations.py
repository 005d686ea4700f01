import numpy as np
import pytest

from intq.ir.graph import TensorType

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(2)


def spread(*shape: int) -> np.ndarray:
    """Values covering both saturated tails and the sensitive middle."""
    x = rng.standard_normal(shape).astype(np.float32) * 3
    x.flat[:4] = [-120.0, 120.0, 0.0, -0.0]
    return x


@pytest.mark.parametrize("op,attrs", [
    ("Relu", {}), ("LeakyRelu", {}), ("LeakyRelu", {"alpha": 0.2}), ("Elu", {}),
    ("Elu", {"alpha": 0.5}), ("Celu", {"alpha": 1.5}), ("Selu", {}),
    ("Selu", {"alpha": 1.5, "gamma": 2.0}), ("ThresholdedRelu", {"alpha": 0.5}),
    ("Sigmoid", {}), ("HardSigmoid", {}), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
    ("HardSwish", {}), ("Tanh", {}), ("Softplus", {}), ("Softsign", {}), ("Mish", {}),
    ("Gelu", {}), ("Gelu", {"approximate": "tanh"}),
])
def test_activation_matches_ort(op, attrs):
    check_op(op, [spread(3, 4, 5)], attrs)


def test_gelu_small_inputs_keep_relative_accuracy():
    x = (rng.standard_normal((1000,)) * 1e-3).astype(np.float32)
    check_op("Gelu", [x])


@pytest.mark.parametrize("slope_shape", [(1,), (4, 1, 1), (5,), (4, 3, 5)])
def test_prelu_broadcasts_slope(slope_shape):
    slope = rng.uniform(-0.5, 0.5, slope_shape).astype(np.float32)
    check_op("PRelu", [spread(2, 4, 3, 5), slope], consts=(1,))


@pytest.mark.parametrize("low,high", [(None, None), (-1.0, None), (None, 0.5), (-0.5, 2.0),
                                      (1.0, -1.0)])
@pytest.mark.parametrize("const", [True, False])
def test_clip_optional_bounds(low, high, const):
    bounds = [None if v is None else np.array(v, np.float32) for v in (low, high)]
    check_op("Clip", [spread(3, 4), *bounds], consts=(1, 2) if const else ())


def test_clip_integers():
    x = rng.integers(-100, 100, (10,)).astype(np.int32)
    check_op("Clip", [x, np.array(-5, np.int32), np.array(7, np.int32)], consts=(1, 2))


def test_activations_keep_symbolic_shape():
    t = TensorType(("N", 128), "float32")
    assert infer_types("Gelu", {}, [t]) == [t]
    assert infer_types("Clip", {}, [t, None, TensorType((), "float32")]) == [t]
    assert infer_types("PRelu", {}, [t, TensorType((1,), "float32")]) == [t]
