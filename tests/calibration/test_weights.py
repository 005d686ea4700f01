"""Per-output-channel max |w| for symmetric weight quantization."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from intq.calibration import CalibrationError, per_channel_max_abs

weights = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
                     elements=st.floats(-1e6, 1e6, width=32))


@given(weights, st.integers(0, 3))
def test_each_channel_gets_its_largest_magnitude(weight, axis):
    axis %= weight.ndim
    ranges = per_channel_max_abs("w", weight, axis)
    assert ranges.dtype == np.float64 and ranges.shape == (weight.shape[axis],)
    for channel in range(weight.shape[axis]):
        assert ranges[channel] == np.abs(np.take(weight, channel, axis)).max()


def test_conv_transpose_uses_axis_one():
    weight = np.zeros((3, 2, 1, 1), np.float32)
    weight[0, 1] = -4.0
    weight[2, 0] = 1.5
    assert per_channel_max_abs("deconv.w", weight, axis=1).tolist() == [1.5, 4.0]
    assert per_channel_max_abs("deconv.w", weight).tolist() == [4.0, 0.0, 1.5]


@pytest.mark.parametrize("weight, axis, message", [
    (np.array([1.0, np.nan]), 0, "weight 'w' contains NaN or Inf"),
    (np.ones((2, 3)), 2, "weight 'w' of shape (2, 3) has no channel axis 2"),
    (np.float32(1.0), 0, "has no channel axis 0"),
    (np.ones((0, 3)), 0, "weight 'w' of shape (0, 3) is empty"),
    (np.array(["a"]), 0, "weight 'w' has dtype <U1"),
])
def test_bad_weights_are_named(weight, axis, message):
    with pytest.raises(CalibrationError) as error:
        per_channel_max_abs("w", weight, axis)
    assert message in str(error.value) and "\n" not in str(error.value)
