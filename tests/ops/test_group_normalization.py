"""The float GroupNormalization reference: num_groups = C is InstanceNormalization, and
opset 18's per-group scale and bias equal opset 21's per-channel ones repeated."""

import numpy as np

from intq.ops import get_op
from intq.ops.registry import normalize_attrs


def group_norm(x, scale, bias, groups):
    attrs = normalize_attrs("GroupNormalization", {"num_groups": groups, "epsilon": 1e-3})
    return get_op("GroupNormalization").evaluate(attrs, x, scale, bias)[0]


def test_one_group_per_channel_is_instance_normalization():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, (2, 3, 4, 5)).astype(np.float32)
    scale, bias = rng.normal(1, 0.3, 3).astype(np.float32), rng.normal(0, 1, 3).astype(np.float32)
    want = get_op("InstanceNormalization").evaluate(
        normalize_attrs("InstanceNormalization", {"epsilon": 1e-3}), x, scale, bias)[0]
    np.testing.assert_allclose(group_norm(x, scale, bias, 3), want, rtol=1e-5, atol=1e-5)


def test_matches_float64_statistics_and_per_group_affine():
    rng = np.random.default_rng(1)
    x = rng.normal(1, 2, (2, 4, 3)).astype(np.float32)
    rows = x.astype(np.float64).reshape(2, 2, -1)
    normed = ((rows - rows.mean(-1, keepdims=True))
              / np.sqrt(rows.var(-1, keepdims=True) + 1e-3)).reshape(x.shape)
    scale, bias = np.array([2.0, -1.0], np.float32), np.array([0.5, 0.25], np.float32)
    want = normed * np.repeat(scale, 2)[:, None] + np.repeat(bias, 2)[:, None]
    np.testing.assert_allclose(group_norm(x, scale, bias, 2), want, rtol=1e-5, atol=1e-5)
    per_channel = group_norm(x, np.repeat(scale, 2), np.repeat(bias, 2), 2)
    assert np.array_equal(group_norm(x, scale, bias, 2), per_channel)
