"""``restore_ops`` works for any op that can appear: every registered op type is accepted, and
on a small ONNX graph per op family (float references, integer rules, an ONNX Runtime island)
the restored op, or the nodes preparation rewrote it into, runs in float between integer
convolutions, close to the float model."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

import intq
from intq.ops import registered_ops
from intq.quantize import QuantConfig
from intq.quantize.api import prepared_graph
from intq.quantize.float_region import check_names, op_types
from frontends.onnx_models import tensor

RNG = np.random.default_rng(0)
CH = 4

GRID = [helper.make_node("Conv", ["t", "wg"], ["g0"], pads=[1, 1, 1, 1]),
        helper.make_node("Tanh", ["g0"], ["g1"]),
        helper.make_node("Transpose", ["g1"], ["grid"], perm=[0, 2, 3, 1])]

CASES = {
    "Relu": ([helper.make_node("Relu", ["t"], ["u"])], {}),
    "Sigmoid": ([helper.make_node("Sigmoid", ["t"], ["u"])], {}),
    "Tanh": ([helper.make_node("Tanh", ["t"], ["u"])], {}),
    "HardSwish": ([helper.make_node("HardSwish", ["t"], ["u"])], {}),
    "LeakyRelu": ([helper.make_node("LeakyRelu", ["t"], ["u"], alpha=0.1)], {}),
    "Clip": ([helper.make_node("Clip", ["t", "lo", "hi"], ["u"])],
             {"lo": np.float32(0), "hi": np.float32(1.5)}),
    "Softmax": ([helper.make_node("Softmax", ["t"], ["u"], axis=1)], {}),
    "MaxPool": ([helper.make_node("MaxPool", ["t"], ["u"], kernel_shape=[3, 3],
                                  pads=[1, 1, 1, 1])], {}),
    "AveragePool": ([helper.make_node("AveragePool", ["t"], ["u"], kernel_shape=[2, 2],
                                      strides=[2, 2])], {}),
    "GlobalAveragePool": ([helper.make_node("GlobalAveragePool", ["t"], ["u"])], {}),
    "Add": ([helper.make_node("Add", ["t", "x1"], ["u"])], {}),
    "Mul": ([helper.make_node("Mul", ["t", "t"], ["u"])], {}),
    "Div": ([helper.make_node("Sigmoid", ["x1"], ["s1"]),
             helper.make_node("Add", ["s1", "one"], ["d"]),
             helper.make_node("Div", ["t", "d"], ["u"])], {"one": np.float32(1)}),
    "Concat": ([helper.make_node("Concat", ["t", "x1"], ["u"], axis=1)], {}),
    "Transpose": ([helper.make_node("Transpose", ["t"], ["u"], perm=[0, 1, 3, 2])], {}),
    "Pad": ([helper.make_node("Pad", ["t", "pads"], ["u"])],
            {"pads": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)}),
    "Resize": ([helper.make_node("Resize", ["t", "", "scales"], ["u"], mode="nearest")],
               {"scales": np.array([1, 1, 2, 2], np.float32)}),
    "InstanceNormalization": ([helper.make_node("InstanceNormalization", ["t", "g", "b"],
                                                ["u"])],
                              {"g": np.ones(CH, np.float32), "b": np.zeros(CH, np.float32)}),
    "LayerNormalization": ([helper.make_node("LayerNormalization", ["t", "g8", "b8"], ["u"])],
                           {"g8": np.ones(8, np.float32), "b8": np.zeros(8, np.float32)}),
    "ReduceMean": ([helper.make_node("ReduceMean", ["t", "axes"], ["u"])],
                   {"axes": np.array([1], np.int64)}),
    "MatMul": ([helper.make_node("MatMul", ["t", "m"], ["u"])],
               {"m": RNG.normal(0, 0.3, (8, 8)).astype(np.float32)}),
    "Flatten": ([helper.make_node("Flatten", ["t"], ["u"])], {}),
    "GridSample": ([*GRID, helper.make_node("GridSample", ["t", "grid"], ["u"])],
                   {"wg": RNG.normal(0, 0.3, (2, CH, 3, 3)).astype(np.float32)}),
}


def _model(op: str) -> onnx.ModelProto:
    """x → conv (→ t, and x1 beside it) → the op (→ u) → conv → y (when u is 4-D)."""
    middle, consts = CASES[op]
    consts = {"w1": RNG.normal(0, 0.3, (CH, 3, 3, 3)).astype(np.float32),
              "w1b": RNG.normal(0, 0.3, (CH, 3, 3, 3)).astype(np.float32), **consts}
    nodes = [helper.make_node("Conv", ["x", "w1"], ["t"], pads=[1, 1, 1, 1], name="conv1"),
             helper.make_node("Conv", ["x", "w1b"], ["x1"], pads=[1, 1, 1, 1], name="conv1b"),
             *middle]
    for i, node in enumerate(middle):
        node.name = node.name or f"{node.op_type.lower()}_{i}"
    shape = _shape(nodes, consts, "u")
    outputs = ["u", "x1"]
    if len(shape) == 4:
        consts["w2"] = RNG.normal(0, 0.3, (3, shape[1], 1, 1)).astype(np.float32)
        nodes.append(helper.make_node("Conv", ["u", "w2"], ["y"], name="conv2"))
        outputs = ["y", "x1"]
    return _build(nodes, consts, outputs)


def _build(nodes, consts, outputs) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "g", [tensor("x", ["N", 3, 8, 8])],
                              [helper.make_empty_tensor_value_info(o) for o in outputs],
                              [numpy_helper.from_array(np.asarray(a), n)
                               for n, a in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=8)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    del model.graph.output[:]
    model.graph.output.extend(o for o in inferred.graph.value_info if o.name in outputs)
    model.graph.output.sort(key=lambda o: outputs.index(o.name))
    return model


def _shape(nodes, consts, name) -> tuple[int, ...]:
    model = _build(nodes, consts, [name])
    dims = model.graph.output[0].type.tensor_type.shape.dim
    return tuple(d.dim_value or -1 for d in dims)


@pytest.mark.parametrize("op", registered_ops())
def test_every_registered_op_type_is_a_valid_restore_op(op):
    graph = prepared_graph(intq.load_onnx(_model("Relu").SerializeToString()), QuantConfig())
    check_names(graph, QuantConfig(restore_ops=(op,)))


@pytest.mark.parametrize("op", sorted(CASES))
def test_restoring_the_op_keeps_it_float_and_the_rest_integer(op):
    model = intq.load_onnx(_model(op).SerializeToString())
    data = RNG.standard_normal((16, 3, 8, 8)).astype(np.float32)
    prepared = prepared_graph(model, QuantConfig())
    targets = {name for name, types in op_types(prepared).items() if op in types}
    assert targets, f"prepare lost track of every {op}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qmodel = intq.quantize(model, data, {"restore_ops": [op]}, progress=False)
    assert {name: qmodel.float_nodes[name] for name in targets} == dict.fromkeys(
        targets, "restore_ops")
    assert "conv1" in qmodel.graph.meta["quantization"]["integer_nodes"]
    for got, want in zip(qmodel.run(data), model.run(data)):
        cosine = (got * want).sum() / np.linalg.norm(got) / np.linalg.norm(want)
        assert cosine > 0.97, (op, cosine)
