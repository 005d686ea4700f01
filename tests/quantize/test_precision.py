"""Automatic activation precision: outlier-stretched tensors get 16 bits, nothing else does,
the budget holds, the user's per-layer widths win, and the mixed 8/16 model stays exact."""

from __future__ import annotations

import numpy as np
import pytest

from intq.ir.graph import Graph
from intq.runtime.executor import run

from .graphs import finish, op, quantize

RNG = np.random.default_rng(0)
DATA = RNG.normal(size=(256, 16)).astype(np.float32)


def _chain(outlier_layers: set[int], depth: int = 4) -> Graph:
    """``depth`` MatMul+Relu layers; in the listed layers one output channel is 100× larger
    (a planted outlier channel, as in transformer FFNs)."""
    g = Graph("chain")
    g.add_input("x", "float32", ("N", 16))
    x = "x"
    rng = np.random.default_rng(1)
    for layer in range(depth):
        w = rng.normal(scale=0.25, size=(16, 16)).astype(np.float32)
        if layer in outlier_layers:
            w[:, 3] *= 100.0
            w[3, :] /= 100.0
        x = op(g, "Relu", [op(g, "MatMul", [x, w])])
    return finish(g, x)


def _widened(model) -> dict[str, int]:
    return {w["tensor"]: w["bits"] for w in model.graph.meta["quantization"]["widened"]}


def _relu_outputs(graph: Graph) -> list[str]:
    return [n.outputs[0] for n in graph.nodes if n.op == "Relu"]


def test_the_planted_outlier_channel_gets_16_bits_and_nothing_else():
    g = _chain({1})
    model = quantize(g, DATA)
    widened = _widened(model)
    outlier = _relu_outputs(g)[1]
    matmul = g.nodes[2].outputs[0]
    assert set(widened) <= {outlier, matmul} and outlier in widened
    assert set(widened.values()) == {16}
    wide = [n.outputs[0] for n in model.graph.nodes if n.op == "Requantize"
            and n.attrs["bits"] == 16]
    assert wide == [f"{outlier}_q"] and model.graph.values[wide[0]].dtype == "uint16"
    assert model.exact


def test_mixed_8_and_16_bit_model_is_closer_to_float_than_all_int8():
    g = _chain({1})
    auto = quantize(g, DATA)
    plain = quantize(g, DATA, auto_precision={"enabled": False})
    want = run(g, DATA)[0]
    error = [float(np.abs(m.run(DATA)[0] - want).mean()) for m in (auto, plain)]
    assert not _widened(plain)
    assert error[0] < 0.9 * error[1]


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5])
def test_the_share_budget_is_never_exceeded(share: float):
    g = _chain({0, 1, 2, 3})
    model = quantize(g, DATA, auto_precision={"max_share": share})
    tensors = len(g.nodes)
    assert len(_widened(model)) <= int(share * tensors)


def test_a_per_layer_width_is_never_overridden():
    g = _chain({1})
    relu = g.nodes[3].name
    model = quantize(g, DATA, per_layer={relu: {"act_bits": 8}})
    assert _relu_outputs(g)[1] not in _widened(model)


def test_a_clean_model_keeps_int8_everywhere():
    assert not _widened(quantize(_chain(set()), DATA))

