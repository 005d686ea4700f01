"""The public quantization API: ``intq.quantize``, ``intq.load``, ``intq.QuantizedModel``."""

import numpy as np
import pytest

import intq
from intq.ir.graph import Graph
from intq.ir.serialize import graph_to_json
from intq.quantize import QuantConfig
from quantize.graphs import finish, op

RNG = np.random.default_rng(0)
DATA = RNG.standard_normal((64, 16)).astype(np.float32)


def mlp() -> intq.FloatModel:
    g = Graph("mlp")
    x = g.add_input("x", "float32", ("N", 16))
    h = op(g, "Relu", [op(g, "MatMul", [x, RNG.standard_normal((16, 8))])])
    return intq.FloatModel(finish(g, op(g, "MatMul", [h, RNG.standard_normal((8, 4))])))


def test_public_names():
    assert {"quantize", "load", "QuantizedModel"} <= set(intq.__all__)
    assert callable(intq.quantize) and callable(intq.load)


def test_quantize_with_defaults_and_every_form_of_config(tmp_path):
    model = mlp()
    default = intq.quantize(model, DATA, progress=False)
    assert isinstance(default, intq.QuantizedModel) and default.exact
    assert default.graph.meta["quantization"]["config"] == QuantConfig().to_dict()
    from_dict = intq.quantize(model, DATA, {"weight_bits": 8}, progress=False)
    from_graph = intq.quantize(model.graph, DATA, QuantConfig(), progress=False)
    for other in (from_dict, from_graph):
        assert other.run(DATA)[0].tobytes() == default.run(DATA)[0].tobytes()
    default.save(tmp_path / "mlp.intq")
    assert intq.load(tmp_path / "mlp.intq").run(DATA)[0].tobytes() == \
        default.run(DATA)[0].tobytes()


def test_calibration_data_forms_give_the_same_model():
    model = mlp()
    want = intq.quantize(model, DATA, progress=False).run(DATA)[0]
    for data in ((DATA,), [DATA[:10], DATA[10:]], iter([(DATA[:50],), (DATA[50:],)])):
        got = intq.quantize(model, data, progress=False).run(DATA)[0]
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("data, message", [
    (np.full((4, 16), np.nan, np.float32), "NaN"),
    (np.zeros((0, 16), np.float32), "empty"),
    ([], "empty"),
    (np.zeros((4, 15), np.float32), "shape"),
    ((DATA, DATA), "2 arrays"),
])
def test_bad_calibration_data_is_a_one_line_error_and_changes_nothing(data, message,
                                                                      tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = mlp()
    before = graph_to_json(model.graph)
    with pytest.raises(intq.IntqError, match=message) as info:
        intq.quantize(model, data, progress=False)
    assert "\n" not in str(info.value)
    assert graph_to_json(model.graph) == before
    assert list(tmp_path.iterdir()) == []


def test_bad_model_or_config_types_are_errors():
    with pytest.raises(intq.IntqError, match="takes a FloatModel"):
        intq.quantize("model.onnx", DATA, progress=False)
    with pytest.raises(intq.IntqError, match="config must be a QuantConfig"):
        intq.quantize(mlp(), DATA, 8, progress=False)
    with pytest.raises(intq.IntqError, match="unknown key 'bits'"):
        intq.quantize(mlp(), DATA, {"bits": 8}, progress=False)


def test_load_of_a_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(intq.IntqError, match="cannot read"):
        intq.load(tmp_path / "missing.intq")
