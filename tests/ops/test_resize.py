import numpy as np
import pytest

from intq.errors import UnsupportedOpError
from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

from .ort_reference import check_op, infer_types

rng = np.random.default_rng(11)
COORDINATE_MODES = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                    "half_pixel_symmetric"]
NEAREST_MODES = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]


def image(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def scales(*values: float) -> np.ndarray:
    return np.array(values, np.float32)


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES + ["tf_half_pixel_for_nn"])
@pytest.mark.parametrize("nearest_mode", NEAREST_MODES)
@pytest.mark.parametrize("factors", [(2.0, 2.0), (0.5, 0.75), (1.7, 0.6), (3.0, 1.0)])
def test_nearest_with_scales(coordinate_mode, nearest_mode, factors):
    attrs = {"mode": "nearest", "coordinate_transformation_mode": coordinate_mode,
             "nearest_mode": nearest_mode}
    inputs = [image(1, 2, 5, 6), None, scales(1, 1, *factors)]
    check_op("Resize", inputs, attrs, consts=(2,))


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES)
@pytest.mark.parametrize("sizes", [(10, 12), (3, 4), (7, 5), (1, 1)])
@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_to_sizes(coordinate_mode, sizes, mode):
    attrs = {"mode": mode, "coordinate_transformation_mode": coordinate_mode}
    inputs = [image(2, 3, 5, 6), None, None, np.array([2, 3, *sizes], np.int64)]
    check_op("Resize", inputs, attrs, consts=(3,))


@pytest.mark.parametrize("coordinate_mode", COORDINATE_MODES)
@pytest.mark.parametrize("factors", [(2.0, 2.0), (0.5, 0.6), (1.3, 2.5)])
def test_linear_with_scales(coordinate_mode, factors):
    attrs = {"mode": "linear", "coordinate_transformation_mode": coordinate_mode}
    check_op("Resize", [image(1, 2, 6, 5), None, scales(1, 1, *factors)], attrs, consts=(2,))


@pytest.mark.parametrize("exclude_outside", [0, 1])
@pytest.mark.parametrize("coordinate_mode", ["half_pixel", "align_corners", "asymmetric"])
@pytest.mark.parametrize("factors", [(2.0, 2.0), (1.5, 1.25)])
def test_cubic_upsampling(exclude_outside, coordinate_mode, factors):
    attrs = {"mode": "cubic", "coordinate_transformation_mode": coordinate_mode,
             "exclude_outside": exclude_outside, "cubic_coeff_a": -0.5}
    check_op("Resize", [image(1, 2, 5, 6), None, scales(1, 1, *factors)], attrs, consts=(2,))


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_tf_crop_and_resize_extrapolates(mode):
    attrs = {"mode": mode, "coordinate_transformation_mode": "tf_crop_and_resize",
             "extrapolation_value": -7.0}
    roi = np.array([0, 0, -0.2, 0.1, 1, 1, 0.8, 1.3], np.float32)
    inputs = [image(1, 1, 6, 6), roi, None, np.array([1, 1, 5, 7], np.int64)]
    check_op("Resize", inputs, attrs, consts=(1, 3))


def test_axes_attribute_limits_resized_axes():
    attrs = {"mode": "nearest", "axes": [2, 3]}
    check_op("Resize", [image(1, 2, 4, 4), None, scales(2.0, 1.5)], attrs, consts=(2,))


@pytest.mark.parametrize("policy", ["not_larger", "not_smaller"])
def test_keep_aspect_ratio_policy(policy):
    attrs = {"mode": "nearest", "axes": [2, 3], "keep_aspect_ratio_policy": policy}
    inputs = [image(1, 1, 4, 6), None, None, np.array([7, 8], np.int64)]
    check_op("Resize", inputs, attrs, consts=(3,))


def test_resize_infers_symbolic_batch():
    (out,) = infer_types("Resize", {"mode": "nearest"},
                         [TensorType(("N", 16, 8, 8), "float32"), None,
                          TensorType((4,), "float32")],
                         [None, None, scales(1, 1, 2, 2)])
    assert out == TensorType(("N", 16, 16, 16), "float32")


def test_resize_rejects_antialias():
    attrs = normalize_attrs("Resize", {"mode": "linear", "antialias": 1})
    with pytest.raises(UnsupportedOpError, match="antialias"):
        get_op("Resize").evaluate(attrs, image(1, 1, 4, 4), None, scales(1, 1, 0.5, 0.5))
