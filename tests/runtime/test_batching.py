"""The batch plan: fixed batches run in chunks, fixed-shape states are fed whole, outputs are
joined on their batch axis; the same for the float graph, calibration and the quantized model."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import intq
from intq.errors import InputError
from intq.runtime.batching import batch_plan

RNG = np.random.default_rng(0)
W = RNG.standard_normal((4, 3)).astype(np.float32)


def onnx_model(tmp_path, nodes, inputs, outputs, inits=(), name="m.onnx"):
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              [numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / name
    onnx.save(model, path)
    return intq.load_onnx(path)


def vad_like(tmp_path):
    """x [1, 4] with a state [2, 1, 3]: y = relu(x W), state' = state + x W (fixed batch 1)."""
    f = TensorProto.FLOAT
    return onnx_model(
        tmp_path,
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"]),
         helper.make_node("Add", ["state", "h"], ["state_out"])],
        [helper.make_tensor_value_info("x", f, [1, 4]),
         helper.make_tensor_value_info("state", f, [2, 1, 3])],
        [helper.make_tensor_value_info("y", f, [1, 3]),
         helper.make_tensor_value_info("state_out", f, [2, 1, 3])],
        [("w", W)])


def one_by_one(run, x, *whole):
    outs = [run(x[i:i + 1], *whole) for i in range(len(x))]
    return outs


def test_fixed_batch_one_runs_sample_by_sample(tmp_path):
    model = vad_like(tmp_path)
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    state = RNG.standard_normal((2, 1, 3)).astype(np.float32)
    y, state_out = model.run(x, state)
    alone = one_by_one(model.run, x, state)
    assert y.tobytes() == np.concatenate([o[0] for o in alone]).tobytes()
    assert state_out.shape == (2, 5, 3)
    assert state_out.tobytes() == np.concatenate([o[1] for o in alone], axis=1).tobytes()


def test_fixed_batch_one_quantizes_and_runs_like_sample_by_sample(tmp_path):
    model = vad_like(tmp_path)
    x = RNG.standard_normal((40, 4)).astype(np.float32)
    state = np.zeros((2, 1, 3), np.float32)
    q = intq.quantize(model, (x, state), progress=False)
    y, state_out = q.run(x[:6], state)
    alone = one_by_one(q.run, x[:6], state)
    assert y.tobytes() == np.concatenate([o[0] for o in alone]).tobytes()
    assert state_out.tobytes() == np.concatenate([o[1] for o in alone], axis=1).tobytes()
    raw = q.run_int(*q.quantize_inputs(x[:6], state))
    assert raw[0].shape == (6, 3)


def test_paddle_minus_one_batch_is_symbolic(tmp_path):
    f = TensorProto.FLOAT
    x = helper.make_tensor_value_info("x", f, [-1, 4])
    x.type.tensor_type.shape.dim[0].dim_param = ""
    x.type.tensor_type.shape.dim[0].dim_value = -1
    model = onnx_model(tmp_path, [helper.make_node("MatMul", ["x", "w"], ["y"])], [x],
                       [helper.make_tensor_value_info("y", f, [-1, 3])], [("w", W)])
    assert isinstance(model.graph.values["x"].shape[0], str)
    data = RNG.standard_normal((7, 4)).astype(np.float32)
    (y,) = model.run(data)
    np.testing.assert_allclose(y, data @ W, rtol=1e-6)
    q = intq.quantize(model, data, progress=False)
    assert q.run(data)[0].shape == (7, 3)


@pytest.mark.parametrize("dim", ["?", ""])
def test_unknown_dim_params_are_symbolic(tmp_path, dim):
    f = TensorProto.FLOAT
    x = helper.make_tensor_value_info("x", f, [dim, 4])
    model = onnx_model(tmp_path, [helper.make_node("MatMul", ["x", "w"], ["y"])], [x],
                       [helper.make_tensor_value_info("y", f, [dim, 3])], [("w", W)])
    assert model.run(np.ones((3, 4), np.float32))[0].shape == (3, 3)


def test_fixed_shape_state_is_fed_whole_to_every_batch(tmp_path):
    """x [seq, 4] beside h [1, 3] (silero's sequence model): the state is not batched."""
    f = TensorProto.FLOAT
    model = onnx_model(
        tmp_path,
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "h"], ["y"]),
         helper.make_node("Relu", ["h"], ["h_out"])],
        [helper.make_tensor_value_info("x", f, ["seq", 4]),
         helper.make_tensor_value_info("h", f, [1, 3])],
        [helper.make_tensor_value_info("y", f, ["seq", 3]),
         helper.make_tensor_value_info("h_out", f, [1, 3])],
        [("w", W)])
    x = RNG.standard_normal((70, 4)).astype(np.float32)
    h = RNG.standard_normal((1, 3)).astype(np.float32)
    q = intq.quantize(model, (x, h), progress=False)  # 70 rows cut in batches of 32, h whole
    y, h_out = q.run(x, h)
    assert y.shape == (70, 3) and h_out.shape == (1, 3)
    np.testing.assert_allclose(y, model.run(x, h)[0], atol=0.1)


def test_two_inputs_two_outputs_fixed_batch_two_pads_and_drops(tmp_path):
    f = TensorProto.FLOAT
    model = onnx_model(
        tmp_path,
        [helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Mul", ["a", "b"], ["p"])],
        [helper.make_tensor_value_info("a", f, [2, 3]),
         helper.make_tensor_value_info("b", f, [2, 3])],
        [helper.make_tensor_value_info("s", f, [2, 3]),
         helper.make_tensor_value_info("p", f, [2, 3])])
    a = RNG.standard_normal((5, 3)).astype(np.float32)
    b = RNG.standard_normal((5, 3)).astype(np.float32)
    plan = batch_plan(model.graph, [a, b])
    assert plan.batched == (True, True) and plan.size == 2
    assert [real for _, real in plan.chunks([a, b])] == [2, 2, 1]
    s, p = model.run(a, b)
    assert s.tobytes() == (a + b).tobytes() and p.tobytes() == (a * b).tobytes()
    q = intq.quantize(model, (a, b), progress=False)
    qs, qp = q.run(a, b)
    assert qs.shape == qp.shape == (5, 3)
    assert qs.tobytes() == np.concatenate([q.run(a[i:i + 2], b[i:i + 2])[0]
                                           for i in range(0, 4, 2)] + [q.run(
                                               a[4:].repeat(2, 0), b[4:].repeat(2, 0))[0][:1]]
                                          ).tobytes()


def test_int64_token_ids_with_dynamic_sequence_length(tmp_path):
    f = TensorProto.FLOAT
    table = RNG.standard_normal((10, 4)).astype(np.float32)
    model = onnx_model(
        tmp_path,
        [helper.make_node("Gather", ["table", "ids"], ["e"]),
         helper.make_node("ReduceSum", ["e", "axes"], ["y"], keepdims=0)],
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["N", "S"])],
        [helper.make_tensor_value_info("y", f, ["N", 4])],
        [("table", table), ("axes", np.array([1], np.int64))])
    ids = RNG.integers(0, 10, (6, 7))
    q = intq.quantize(model, ids, progress=False)
    short = RNG.integers(0, 10, (3, 5))
    np.testing.assert_allclose(q.run(short)[0], table[short].sum(axis=1), atol=0.2)


def test_different_fixed_batches_are_refused(tmp_path):
    f = TensorProto.FLOAT
    model = onnx_model(
        tmp_path, [helper.make_node("Add", ["a", "b"], ["s"])],
        [helper.make_tensor_value_info("a", f, [2, 3]),
         helper.make_tensor_value_info("b", f, [1, 3])],
        [helper.make_tensor_value_info("s", f, [2, 3])])
    with pytest.raises(InputError, match="different fixed batch sizes"):
        model.run(np.ones((4, 3), np.float32), np.ones((3, 3), np.float32))
