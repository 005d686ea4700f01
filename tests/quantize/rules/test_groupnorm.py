"""InstanceNormalization and GroupNormalization (per-group and per-channel scale) become one
IntGroupNorm within two output steps of the float op; dynamic spatial sizes stay float."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def norm_graph(op_type: str, affine_size: int, shape=("N", 4, 5, 6), **attrs) -> Graph:
    rng = np.random.default_rng(0)
    g = Graph()
    x = g.add_input("x", "float32", shape)
    gamma = rng.normal(1, 0.3, affine_size).astype(np.float32)
    beta = rng.normal(0, 0.3, affine_size).astype(np.float32)
    return finish(g, op(g, op_type, [x, gamma, beta], **attrs))


@pytest.mark.parametrize("op_type, affine, attrs", [
    ("InstanceNormalization", 4, {}),
    ("GroupNormalization", 4, {"num_groups": 2}),
    ("GroupNormalization", 2, {"num_groups": 2}),
    ("GroupNormalization", 4, {"num_groups": 1}),
])
def test_is_one_integer_group_norm_within_two_steps(op_type, affine, attrs):
    g = norm_graph(op_type, affine, **attrs)
    x = normal(8, 4, 5, 6, seed=1) * 3 + 1
    model = quantize(g, x)
    assert integer_ops(model) == ["IntGroupNorm"]
    assert float_values_inside(model) == [] and model.exact
    assert_close(model, g, x, steps=2)


def test_dynamic_spatial_sizes_stay_float():
    model = quantize(norm_graph("InstanceNormalization", 4, shape=("N", 4, "H", 6)),
                     normal(4, 4, 5, 6))
    assert "IntGroupNorm" not in integer_ops(model) and not model.exact
