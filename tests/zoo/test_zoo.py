"""The zoo: reproducible construction, declared inputs, configurable sizes."""

from __future__ import annotations

import pytest

from intq.errors import IntqError

torch = pytest.importorskip("torch")
from intq import zoo  # noqa: E402


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("name", sorted(zoo.MODELS))
def test_build_is_seeded_and_leaves_the_global_rng_alone(name):
    before = torch.random.get_rng_state()
    first, again, other = zoo.build(name, seed=3), zoo.build(name, seed=3), zoo.build(name, seed=4)
    assert torch.equal(torch.random.get_rng_state(), before)
    a, b, c = _state(first), _state(again), _state(other)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())
    assert not first.training


@pytest.mark.parametrize("name", sorted(zoo.MODELS))
def test_example_inputs_follow_the_declared_shape(name):
    model = zoo.build(name)
    (x,) = model.example_inputs(batch=3)
    assert x.dtype == model.input_dtype
    assert x.shape[0] == 3 and len(x.shape) == len(model.input_shape)
    for size, dim in zip(x.shape, model.input_shape):
        assert size == (3 if dim == "N" else model.default_sizes.get(dim, dim))
    axes = model.dynamic_axes()
    assert axes["input"][0] == "N" and axes["output"][0] == "N"
    with torch.no_grad():
        assert model(x).shape[0] == 3


def test_norm_layers_get_non_trivial_statistics():
    model = zoo.build("resnet")
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms and all(not torch.allclose(m.running_var, torch.ones_like(m.running_var))
                         for m in norms)


def test_token_inputs_stay_in_the_vocabulary():
    model = zoo.build("transformer", vocab_size=17)
    (tokens,) = model.example_inputs(batch=4, T=9)
    assert tokens.shape == (4, 9) and 0 <= int(tokens.min()) and int(tokens.max()) < 17


def test_crnn_emits_one_step_per_four_columns():
    model = zoo.build("crnn", num_classes=7)
    (x,) = model.example_inputs(batch=2, W=40)
    with torch.no_grad():
        assert model(x).shape == (2, 10, 7)


@pytest.mark.parametrize("name,kwargs,shape", [
    ("lenet", {"image_size": 8}, (2, 1, 8, 8)),
    ("resnet", {"image_size": 16, "in_channels": 1, "blocks": (2, 1)}, (2, 1, 16, 16)),
    ("mobilenetv2", {"image_size": 24}, (2, 3, 24, 24)),
    ("vit", {"image_size": 32, "patch": 8}, (2, 3, 32, 32)),
])
def test_input_size_is_configurable(name, kwargs, shape):
    model = zoo.build(name, **kwargs)
    (x,) = model.example_inputs(batch=2)
    assert tuple(x.shape) == shape
    with torch.no_grad():
        assert model(x).shape == (2, 10)


@pytest.mark.parametrize("name,kwargs", [("lenet", {"image_size": 10}),
                                         ("vit", {"image_size": 16, "patch": 5})])
def test_impossible_sizes_are_refused(name, kwargs):
    with pytest.raises(IntqError, match="multiple"):
        zoo.build(name, **kwargs)


def test_unknown_model_lists_the_choices():
    with pytest.raises(IntqError, match="unknown zoo model 'alexnet'.*resnet"):
        zoo.build("alexnet")
