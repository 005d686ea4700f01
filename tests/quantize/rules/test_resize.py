"""Resize: nearest stays data movement, linear becomes IntResize on the input's grid (within
one output step of the float op), and what IntResize cannot express stays float."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ir.graph import Graph

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


def resize_graph(scales, shape=("N", 3, 5, 6), **attrs) -> Graph:
    g = Graph()
    x = g.add_input("x", "float32", shape)
    return finish(g, op(g, "Resize", [x, "", np.array(scales, np.float32)], **attrs))


@pytest.mark.parametrize("mode", ["half_pixel", "pytorch_half_pixel", "asymmetric",
                                  "align_corners"])
@pytest.mark.parametrize("scales", [[1, 1, 2, 2], [1, 1, 0.5, 1.5]])
def test_linear_is_an_integer_resize_within_one_step(mode, scales):
    g = resize_graph(scales, mode="linear", coordinate_transformation_mode=mode)
    x = normal(8, 3, 5, 6, seed=1)
    model = quantize(g, x)
    assert integer_ops(model) == ["IntResize"]
    assert float_values_inside(model) == [] and model.exact
    resize = next(n for n in model.graph.nodes if n.op == "IntResize")
    assert resize.attrs["axes"] == [2, 3] if scales[2] != 1 else [3]
    assert_close(model, g, x, steps=1)


def test_sizes_with_static_lengths_are_lowered():
    g = Graph()
    x = g.add_input("x", "float32", (4, 2, 4, 4))
    g = finish(g, op(g, "Resize", [x, "", "", np.array([4, 2, 7, 9])], mode="linear"))
    model = quantize(g, normal(4, 2, 4, 4, seed=2))
    resize = next(n for n in model.graph.nodes if n.op == "IntResize")
    assert resize.attrs["lengths"] == [7, 9]
    assert_close(model, g, normal(4, 2, 4, 4, seed=3), steps=1)


def test_sizes_over_a_symbolic_length_stay_float():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 2, 4, 4))
    g = finish(g, op(g, "Resize", [x, "", "", np.array([1, 2, 7, 9])], mode="linear"))
    assert "IntResize" not in integer_ops(quantize(g, normal(4, 2, 4, 4)))


def test_nearest_stays_data_movement():
    g = resize_graph([1, 1, 2, 2], mode="nearest")
    assert integer_ops(quantize(g, normal(4, 3, 5, 6))) == ["Resize"]


@pytest.mark.parametrize("attrs", [{"mode": "cubic"},
                                   {"mode": "linear",
                                    "coordinate_transformation_mode": "half_pixel_symmetric"}])
def test_other_forms_stay_float(attrs):
    model = quantize(resize_graph([1, 1, 2, 2], **attrs), normal(4, 3, 5, 6))
    assert "IntResize" not in integer_ops(model) and not model.exact
