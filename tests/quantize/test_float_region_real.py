"""restore_nodes and split on a real pretrained model: magika's file-type classifier (tf2onnx,
int32 byte input, one-hot, dense, layer norm, conv), as the package ships it."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

import intq
from intq.quantize import QuantConfig
from intq.quantize.api import prepared_graph


def _magika_model() -> Path:
    spec = importlib.util.find_spec("magika")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("magika is not installed (pip install magika)")
    path = Path(spec.submodule_search_locations[0]) / "models" / "standard_v3_3" / "model.onnx"
    if not path.exists():
        pytest.skip(f"magika ships no {path.name} at {path.parent}")
    return path


@pytest.fixture(scope="module")
def magika():
    model = intq.load_onnx(_magika_model())
    data = np.random.default_rng(0).integers(0, 256, (4, 2048)).astype(np.int32)
    return model, data, prepared_graph(model, QuantConfig())


def _quantize(model, data, **config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return intq.quantize(model, data, config, progress=False)


def _cosine(a, b) -> float:
    return float((a * b).sum() / np.linalg.norm(a) / np.linalg.norm(b))


def test_restore_nodes_and_split_on_magika(magika):
    model, data, prepared = magika
    conv = next(n for n in prepared.nodes if n.op == "Conv")
    restored = _quantize(model, data, restore_nodes=[conv.name])
    assert restored.float_nodes[conv.name] == "restore_nodes"
    split = _quantize(model, data, split=[conv.outputs[0]])
    after = prepared.nodes.index(conv) + 1
    assert {n for n, why in split.float_nodes.items() if why == "split"} <= {
        n.name for n in prepared.nodes[after:]}
    assert "split" in split.float_nodes.values()
    want = model.run(data)[0]
    for qmodel in (restored, split):
        assert _cosine(qmodel.run(data)[0], want) > 0.95
