"""Importing torch modules: dynamic batch by default, extra dynamic axes, naming, eval mode."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import intq
from intq.errors import IntqError, UnsupportedOpError
from intq.frontends.torch_import import import_torch
from intq.runtime.executor import run

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from intq import zoo  # noqa: E402


def test_from_torch_has_a_dynamic_batch_and_matches_torch():
    module = zoo.build("lenet", image_size=8)
    model = intq.from_torch(module, module.example_inputs(batch=2))
    assert model.input_names == ["input"] and model.output_names == ["output"]
    assert model.graph.values["input"].shape == ("N", 1, 8, 8)
    assert model.graph.values["output"].shape == ("N", 10)
    assert model.graph.name == "LeNet" and model.graph.meta["source"] == "torch"
    for batch in (1, 7):
        (x,) = module.example_inputs(batch=batch, seed=batch)
        (got,) = model.run(x.numpy())
        np.testing.assert_allclose(got, module(x).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_extra_dynamic_axes_make_the_sequence_length_symbolic():
    module = zoo.build("transformer")
    graph = import_torch(module, module.example_inputs(), dynamic_axes={"input": {1: "T"}})
    assert graph.values["input"].shape == ("N", "T")
    for length in (3, 11):
        (tokens,) = module.example_inputs(batch=2, T=length)
        (got,) = run(graph, tokens.numpy())
        np.testing.assert_allclose(got, module(tokens).detach().numpy(), rtol=1e-5, atol=1e-5)


class TwoInTwoOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)

    def forward(self, a, b):
        return self.drop(a) + b, a * b


def test_default_names_for_several_inputs_and_outputs_and_numpy_examples():
    a, b = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    graph = import_torch(TwoInTwoOut(), (a, b))
    assert graph.inputs == ["input_0", "input_1"] and graph.outputs == ["output_0", "output_1"]
    assert all(graph.values[n].shape == ("N", 3) for n in graph.inputs + graph.outputs)


def test_given_names_and_opset_are_used():
    graph = import_torch(TwoInTwoOut(), (torch.ones(2, 3), torch.ones(2, 3)),
                         input_names=["a", "b"], output_names=["sum", "prod"], opset=13)
    assert graph.inputs == ["a", "b"] and graph.outputs == ["sum", "prod"]
    assert graph.meta["source_opset"] == 13


def test_exports_in_eval_mode_and_restores_training_mode():
    module = TwoInTwoOut().train()
    a, b = torch.randn(4, 3), torch.randn(4, 3)
    graph = import_torch(module, (a, b))
    assert module.training
    got = run(graph, a.numpy(), b.numpy())
    np.testing.assert_allclose(got[0], (a + b).numpy(), rtol=1e-6)


def test_dynamic_axes_for_an_unknown_name():
    with pytest.raises(IntqError, match="'nope'"):
        import_torch(TwoInTwoOut(), (torch.ones(2, 3), torch.ones(2, 3)),
                     dynamic_axes={"nope": {1: "T"}})


def test_not_a_module():
    with pytest.raises(IntqError, match="torch.nn.Module"):
        import_torch(lambda x: x, torch.ones(2))


def test_unexportable_op_is_unsupported():
    class Spectrum(nn.Module):
        def forward(self, x):
            return torch.fft.fft(x).real

    with pytest.raises(UnsupportedOpError, match="Spectrum.*fft") as info:
        import_torch(Spectrum(), torch.randn(2, 8))
    assert "\n" not in str(info.value)


def test_without_torch_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(IntqError, match=r"pip install intq\[torch\]"):
        import_torch(object(), ())
