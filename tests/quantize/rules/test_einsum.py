"""Einsum: matrix-product equations lower to IntMatMul (weights and two activations), within
one or two output steps of the float op (two with int8 weights); other equations stay float with the equation as reason."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.quantize.rules.einsum import is_matmul

from ..graphs import assert_close, finish, float_values_inside, integer_ops, normal, op, quantize


@pytest.mark.parametrize("equation, want", [
    ("ij,jk->ik", True), ("bij,bjk->bik", True), ("bhqd,bhdk->bhqk", True),
    ("...ij,...jk->...ik", True), ("bij,jk->bik", True), ("ij,bjk->bik", True),
    ("b i j , b j k -> b i k", True),
    ("bhqd,bhkd->bhqk", False), ("ij,kj->ik", False), ("ii->i", False), ("i,j->ij", False),
    ("ij,jk,kl->il", False), ("bij,bjk->bki", False), ("bij,cjk->bik", False),
    ("ij,jk", False), ("bij,bjk->ik", False)])
def test_recognizes_matrix_products(equation, want):
    assert is_matmul(equation) is want


def test_weight_product_is_an_integer_matmul():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 5, 6))
    w = np.random.default_rng(0).normal(0, 0.3, (6, 4)).astype(np.float32)
    g = finish(g, op(g, "Einsum", [x, w], equation="bij,jk->bik"))
    data = normal(8, 5, 6, seed=1)
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMatMul", "Requantize"]
    assert float_values_inside(model) == [] and model.exact
    assert_close(model, g, data, steps=2)  # one step of rounding, one of int8 weights


def test_two_activations_multiply_as_attention_does():
    g = Graph()
    q = g.add_input("q", "float32", ("N", 2, 5, 4))
    k = g.add_input("k", "float32", ("N", 2, 4, 5))
    g = finish(g, op(g, "Einsum", [q, k], equation="bhqd,bhdk->bhqk"))
    data = (normal(8, 2, 5, 4, seed=2), normal(8, 2, 4, 5, seed=3))
    model = quantize(g, data)
    assert integer_ops(model) == ["IntMatMul", "Requantize"] and model.exact
    assert_close(model, g, *data, steps=1)


def test_other_equations_stay_float_and_say_why():
    g = Graph()
    x = g.add_input("x", "float32", ("N", 4, 4))
    g = finish(g, op(g, "Einsum", [x], equation="bii->bi"))
    model = quantize(g, normal(4, 4, 4))
    reasons = list(model.graph.meta["quantization"]["float_nodes"].values())
    assert not model.exact and reasons == ["Einsum 'bii->bi' is not a (batched) matrix product"]
