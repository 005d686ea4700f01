"""Importing ONNX models: opsets 11-21, external data, dynamic and declared dimensions,
constants, and the metadata the graph keeps about its source."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

import intq
from frontends.onnx_models import assert_matches_ort, make, tensor
from intq.errors import InputError
from intq.frontends import onnx_load
from intq.frontends.onnx_import import import_onnx

RNG = np.random.default_rng(2)


def _zoo_input(name, batch, seed=0, **sizes):
    from intq import zoo

    return zoo.build(name).example_inputs(batch=batch, seed=seed, **sizes)[0].numpy()


@pytest.mark.parametrize("opset", [11, 12, 13, 17])
@pytest.mark.parametrize("name", ["transformer", "crnn", "mobilenetv2"])
def test_torch_exports_at_each_opset_match_ort(name, opset, zoo_onnx):
    model = onnx.load_from_string(zoo_onnx(name, opset=opset))
    graph = import_onnx(model)
    for batch in (1, 3):
        assert_matches_ort(model, _zoo_input(name, batch, seed=batch), graph=graph)
    assert graph.meta["source_opset"] == opset
    assert graph.meta["opset"] == max(opset, onnx_load.LIFT_TO)
    assert graph.meta["opset_upgrade"] == ("onnx.version_converter" if opset < 13 else None)
    assert graph.meta["producer"].startswith("pytorch")


@pytest.mark.parametrize("opset", [11, 12])
def test_old_torch_exports_import_natively_when_the_converter_fails(opset, zoo_onnx,
                                                                   monkeypatch):
    def refuse(model, target):
        raise RuntimeError("converter unavailable in this test")

    monkeypatch.setattr(onnx_load.version_converter, "convert_version", refuse)
    model = onnx.load_from_string(zoo_onnx("transformer", opset=opset))
    graph = import_onnx(model)
    assert graph.meta["opset_upgrade"] == "native" and graph.meta["opset"] == opset
    assert_matches_ort(model, _zoo_input("transformer", 2, T=6), graph=graph)


def _opset21_model() -> onnx.ModelProto:
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], auto_pad="SAME_UPPER", strides=[2, 2]),
        helper.make_node("Gelu", ["c"], ["g"], approximate="tanh"),
        helper.make_node("ReduceMean", ["g", "axes"], ["m"], keepdims=0),
        helper.make_node("Split", ["m"], ["s0", "s1"], axis=1, num_outputs=2),
        helper.make_node("Mul", ["s0", "s1"], ["p"]),
        helper.make_node("Pad", ["p", "pads", "", "pad_axes"], ["q"], mode="edge"),
        helper.make_node("Softmax", ["q"], ["y"]),
    ]
    inits = {"w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32),
             "b": RNG.standard_normal(4).astype(np.float32),
             "axes": np.array([2, 3], np.int64),
             "pads": np.array([1, 2], np.int64),
             "pad_axes": np.array([-1], np.int64)}
    return make(nodes, [tensor("x", ["N", 3, 9, 9])], ["y"], inits, opset=21)


def test_hand_built_opset21_model_matches_ort():
    model = _opset21_model()
    graph = import_onnx(model)
    assert graph.meta["source_opset"] == 21 and graph.meta["opset_upgrade"] is None
    for batch in (1, 4):
        x = RNG.standard_normal((batch, 3, 9, 9)).astype(np.float32)
        assert_matches_ort(model, x, graph=graph)


def test_external_data_is_loaded_from_beside_the_model(tmp_path, zoo_onnx):
    data = zoo_onnx("resnet")
    path = tmp_path / "resnet.onnx"
    onnx.save(onnx.load_from_string(data), path, save_as_external_data=True,
              all_tensors_to_one_file=True, location="resnet.data", size_threshold=0)
    assert (tmp_path / "resnet.data").stat().st_size > path.stat().st_size
    graph = intq.load_onnx(path).graph
    in_memory = import_onnx(data)
    assert graph.param_count() == in_memory.param_count() > 0
    for name, array in in_memory.constants.items():
        np.testing.assert_array_equal(graph.constants[name], array)
    assert_matches_ort(onnx.load_from_string(data), _zoo_input("resnet", 2), graph=graph)


def test_dynamic_batch_runs_at_any_batch_size(zoo_onnx):
    model = onnx.load_from_string(zoo_onnx("lenet"))
    graph = import_onnx(model)
    assert graph.values["input"].shape == ("N", 1, 28, 28)
    assert graph.values["output"].shape == ("N", 10)
    for batch in (1, 5):
        assert_matches_ort(model, _zoo_input("lenet", batch), graph=graph)


def test_dim_params_stay_symbolic_and_missing_dims_get_fresh_symbols():
    nodes = [helper.make_node("Relu", ["a"], ["ra"]), helper.make_node("Relu", ["b"], ["rb"])]
    model = make(nodes, [tensor("a", ["batch", 4]), tensor("b", [None, 4])], ["ra", "rb"])
    graph = import_onnx(model)
    assert graph.values["a"].shape == ("batch", 4)
    (fresh, four) = graph.values["b"].shape
    assert isinstance(fresh, str) and fresh not in ("batch", "?") and four == 4
    assert graph.values["ra"].shape == ("batch", 4)


def test_initializers_listed_as_inputs_are_constants():
    w = RNG.standard_normal((3, 4)).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"])]
    model = make(nodes, [tensor("x", ["N", 3]), tensor("w", [3, 4])], ["y"], {"w": w},
                 opset=11, ir_version=3)
    graph = import_onnx(model)
    assert graph.inputs == ["x"] and "w" in graph.constants
    assert_matches_ort(model, RNG.standard_normal((2, 3)).astype(np.float32), graph=graph)


def test_constant_nodes_become_graph_constants():
    nodes = [
        helper.make_node("Constant", [], ["k"], value=helper.make_tensor(
            "k", onnx.TensorProto.FLOAT, [2], [2.0, -1.0])),
        helper.make_node("Constant", [], ["f"], value_float=0.5),
        helper.make_node("Constant", [], ["shape"], value_ints=[-1, 2]),
        helper.make_node("Mul", ["x", "k"], ["a"]),
        helper.make_node("Add", ["a", "f"], ["b"]),
        helper.make_node("Reshape", ["b", "shape"], ["y"]),
    ]
    model = make(nodes, [tensor("x", ["N", 2])], ["y"])
    graph = import_onnx(model)
    assert [n.op for n in graph.nodes] == ["Mul", "Add", "Reshape"]
    assert graph.constants["k"].tolist() == [2.0, -1.0]
    assert graph.constants["f"].dtype == np.float32 and graph.constants["f"].shape == ()
    assert graph.constants["shape"].dtype == np.int64
    assert_matches_ort(model, RNG.standard_normal((3, 2)).astype(np.float32), graph=graph)


def test_omitted_optional_outputs_get_names_or_are_dropped():
    hidden, size = 4, 3
    w = RNG.standard_normal((1, 4 * hidden, size)).astype(np.float32)
    r = RNG.standard_normal((1, 4 * hidden, hidden)).astype(np.float32)
    nodes = [helper.make_node("LSTM", ["x", "w", "r"], ["", "h"], hidden_size=hidden)]
    model = make(nodes, [tensor("x", ["T", 2, size])], ["h"], {"w": w, "r": r})
    graph = assert_matches_ort(model, RNG.standard_normal((5, 2, size)).astype(np.float32))
    (lstm,) = graph.nodes
    assert len(lstm.outputs) == 2 and lstm.outputs[0] and lstm.outputs[1] == "h"


def test_input_shapes_fix_or_rename_dimensions():
    model = _opset21_model()
    graph = import_onnx(model, input_shapes={"x": [2, None, 9, 9]})
    assert graph.values["x"].shape == (2, 3, 9, 9)
    graph = import_onnx(model, input_shapes={"x": ["B", 3, 9, 9]})
    assert graph.values["x"].shape == ("B", 3, 9, 9)


@pytest.mark.parametrize("shapes,culprit", [({"nope": [1]}, "nope"), ({"x": [1, 3]}, "rank"),
                                            ({"x": [1, 4, 9, 9]}, "axis 1")])
def test_bad_input_shapes_name_the_problem(shapes, culprit):
    with pytest.raises(InputError, match=culprit) as info:
        import_onnx(_opset21_model(), input_shapes=shapes)
    assert "\n" not in str(info.value)


def test_import_writes_nothing_and_leaves_the_model_untouched(tmp_path, monkeypatch,
                                                               zoo_onnx):
    data = zoo_onnx("transformer", opset=11)
    path = tmp_path / "model.onnx"
    path.write_bytes(data)
    model = onnx.load(path)
    monkeypatch.chdir(tmp_path)
    import_onnx(path)
    import_onnx(model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]
    assert path.read_bytes() == data and model.SerializeToString() == data
