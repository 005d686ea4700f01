import numpy as np
import pytest

import intq
from intq.errors import InputError, ModelFormatError
from intq.ir.graph import Graph
from intq.model import FloatModel
from intq.quantize import QuantizedModel
from intq.runtime.overflow import OverflowProofError

from .graphs import finish, normal, op, quantize


def net() -> Graph:
    """Conv, residual add, pooling, matmul and softmax: most kernel families in one graph."""
    g = Graph()
    x = g.add_input("x", "float32", ("N", 3, 8, 8))
    a = op(g, "Relu", [op(g, "Conv", [x, normal(8, 3, 3, 3, seed=1, scale=0.3), normal(8)],
                          kernel_shape=[3, 3], pads=[1, 1, 1, 1])])
    b = op(g, "Conv", [a, normal(8, 1, 3, 3, seed=2, scale=0.3)], kernel_shape=[3, 3],
           pads=[1, 1, 1, 1], group=8)
    y = op(g, "MaxPool", [op(g, "Add", [a, b])], kernel_shape=[2, 2], strides=[2, 2])
    y = op(g, "Flatten", [op(g, "GlobalAveragePool", [op(g, "Sigmoid", [y])])], axis=1)
    y = op(g, "MatMul", [y, normal(8, 5, seed=3)])
    return finish(g, op(g, "Softmax", [y], axis=-1))


DATA = normal(32, 3, 8, 8, seed=4)


@pytest.fixture(scope="module")
def model() -> QuantizedModel:
    return quantize(net(), DATA)


def test_run_is_run_int_between_the_graph_quantize_and_dequantize(model):
    q_in = model.quantize_inputs(DATA)[0]
    raw = model.run_int(q_in)[0]
    assert raw.dtype == np.uint8 and model.output_quant[0].signed is False
    np.testing.assert_array_equal(model.run(DATA)[0],
                                  raw.astype(np.float32) * np.float32(model.output_quant[0].scale))


def test_outputs_are_bit_identical_across_batches_paths_and_runs(model):
    want = model.run(DATA, fast=False)[0]
    for fast in (False, True):
        for batch in (1, 7, 32):
            got = np.concatenate([model.run(DATA[i:i + batch], fast=fast)[0]
                                  for i in range(0, len(DATA), batch)])
            assert got.tobytes() == want.tobytes()
    assert model.run(DATA)[0].tobytes() == model.run(DATA)[0].tobytes()


def test_save_load_gives_identical_outputs(model, tmp_path):
    path = tmp_path / "model.intq"
    model.save(path)
    loaded = intq.load(path)
    assert isinstance(loaded, QuantizedModel) and loaded.exact
    assert loaded.graph.meta["quantization"] == model.graph.meta["quantization"]
    assert loaded.run(DATA)[0].tobytes() == model.run(DATA)[0].tobytes()
    assert [q.scale for q in loaded.input_quant] == [q.scale for q in model.input_quant]


def test_load_rejects_float_models_and_unprovable_graphs(model, tmp_path):
    FloatModel(net()).save(tmp_path / "float.intq")
    with pytest.raises(ModelFormatError, match="not a quantized model"):
        intq.load(tmp_path / "float.intq")
    broken = QuantizedModel(model.graph.copy())
    requant = next(n for n in broken.graph.nodes if n.op == "Requantize")
    m = broken.graph.constants[requant.inputs[1]]
    assert m.dtype == np.int32  # multipliers are stored narrow; int64 ones load too
    broken.graph.constants[requant.inputs[1]] = np.full(m.shape, (1 << 62) // 1000, np.int64)
    broken.graph.values[requant.inputs[1]].dtype = "int64"
    broken.save(tmp_path / "broken.intq")
    with pytest.raises(OverflowProofError, match=f"node '{requant.name}'"):
        intq.load(tmp_path / "broken.intq")


def test_run_int_checks_its_inputs(model):
    q_in = model.quantize_inputs(DATA)[0]
    with pytest.raises(InputError, match="takes 1 integer input"):
        model.run_int(q_in, q_in)
    with pytest.raises(InputError, match="dtype float32"):
        model.run_int(DATA)
    with pytest.raises(InputError, match="outside its 8-bit range"):
        model.run_int(q_in.astype(np.int32) * 4)
    with pytest.raises(InputError, match="shape"):
        model.run_int(q_in[:, :2])


def test_raw_integer_outputs_without_dequantize():
    raw = quantize(net(), DATA, output_dequantize=False)
    assert raw.graph.nodes[-1].op == "IntSoftmax"
    assert raw.graph.values[raw.graph.outputs[0]].dtype == "uint8"
    model = quantize(net(), DATA)
    assert raw.run(DATA)[0].tobytes() == model.run(DATA)[0].tobytes()
    np.testing.assert_array_equal(raw.run_int(raw.quantize_inputs(DATA)[0])[0],
                                  model.run_int(model.quantize_inputs(DATA)[0])[0])


def test_every_value_owns_its_grid_and_bounds_survive_a_reload(model, tmp_path):
    quants = [v.quant for v in model.graph.values.values() if v.quant is not None]
    assert len({id(q) for q in quants}) == len(quants)
    model.save(tmp_path / "m.intq")
    loaded = intq.load(tmp_path / "m.intq")
    assert {n: v.quant.bound for n, v in model.graph.values.items() if v.quant} == {
        n: v.quant.bound for n, v in loaded.graph.values.items() if v.quant}


def test_an_exact_model_says_so_and_warns_nothing(model):
    assert model.exact and model.float_nodes == {}
    assert ", exact, " in repr(model)


def test_a_partly_float_model_names_its_float_nodes_in_repr_and_a_warning():
    import warnings

    from intq.errors import IntqWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        partly = quantize(net(), DATA, restore_ops=["Relu"])
    assert partly.float_nodes == {"relu": "restore_ops"}
    assert "partly float (1 node: relu)" in repr(partly)
    (warning,) = [w for w in caught if issubclass(w.category, IntqWarning)]
    assert "relu (restore_ops)" in str(warning.message)
