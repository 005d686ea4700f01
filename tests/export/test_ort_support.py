"""The ONNX Runtime kernels the export relies on exist for the dtypes ``ort_support`` lists and
compute exactly on integers of every magnitude those dtypes hold."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from intq.export.ort_support import ORT_DTYPES, supported_dtype

INT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"]


def run_node(op_type: str, inputs: list[np.ndarray], consts: dict[str, np.ndarray] | None = None,
             **attrs: object) -> np.ndarray:
    names = [f"x{i}" for i in range(len(inputs))]
    consts = consts or {}
    graph = helper.make_graph(
        [helper.make_node(op_type, names + list(consts), ["y"], **attrs)], "g",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
         for n, a in zip(names, inputs)],
        [helper.make_empty_tensor_value_info("y")],
        [numpy_helper.from_array(v, k) for k, v in consts.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    options = ort.SessionOptions()
    options.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip(names, inputs)))[0]


def run_top_k(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """TopK (two outputs) along the last axis: values and indices."""
    graph = helper.make_graph(
        [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=-1)], "g",
        [helper.make_tensor_value_info("x", helper.np_dtype_to_tensor_dtype(x.dtype), x.shape)],
        [helper.make_empty_tensor_value_info("v"), helper.make_empty_tensor_value_info("i")],
        [numpy_helper.from_array(np.array([k], np.int64), "k")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    values, indices = session.run(None, {"x": x})
    return values, indices


def top_k(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest first, equal values in input order (ONNX's rule), on exact integers."""
    order = np.argsort(-x.astype(np.int64), axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, axis=-1), order


def spread(dtype: str, shape: tuple, seed: int = 0) -> np.ndarray:
    """Values of every magnitude the dtype holds, both signs, extremes included."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, info.bits, shape)
    values = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    values = (values.astype(np.float64) / 2.0 ** (info.bits - 1 - bits)).astype(dtype) \
        if info.bits < 64 else values >> (63 - bits)
    values.flat[:2] = [info.min, info.max]
    return values.astype(dtype)


CASES = {
    "MaxPool": (lambda x: run_node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2]),
                lambda x: x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5))),
    "Relu": (lambda x: run_node("Relu", [x]), lambda x: np.maximum(x, 0)),
    "Max": (lambda x: run_node("Max", [x, x[:, :, ::-1]]), lambda x: np.maximum(x, x[:, :, ::-1])),
    "Min": (lambda x: run_node("Min", [x, x[:, :, ::-1]]), lambda x: np.minimum(x, x[:, :, ::-1])),
    "Clip": (lambda x: run_node("Clip", [x, x.flat[5:6].reshape(()), x.flat[9:10].reshape(())]),
             lambda x: np.minimum(np.maximum(x, x.flat[5]), x.flat[9])),
    "ReduceMax": (lambda x: run_node("ReduceMax", [x], axes=[1]),
                  lambda x: x.max(1, keepdims=True)),
    "ReduceMin": (lambda x: run_node("ReduceMin", [x], axes=[1]),
                  lambda x: x.min(1, keepdims=True)),
    "ReduceSum": (lambda x: run_node("ReduceSum", [x >> 4], {"axes": np.array([3])}),
                  lambda x: (x >> 4).sum(3, keepdims=True, dtype=x.dtype)),
    "Pad": (lambda x: run_node("Pad", [x], {"pads": np.array([0, 0, 1, 0, 0, 0, 0, 1])}),
            lambda x: np.pad(x, [(0, 0), (0, 0), (1, 0), (0, 1)])),
    "Resize": (lambda x: run_node("Resize", [x], {"roi": np.zeros(0, np.float32),
                                                  "scales": np.array([1, 1, 2, 1], np.float32)},
                                  mode="nearest"),
               lambda x: np.repeat(x, 2, axis=2)),
    "MatMul": (lambda x: run_node("MatMul", [x >> 8, np.ones((4, 2), x.dtype)]),
               lambda x: (x >> 8) @ np.ones((4, 2), x.dtype)),
    "CumSum": (lambda x: run_node("CumSum", [x >> 4], {"axis": np.array(3)}),
               lambda x: np.cumsum(x >> 4, axis=3, dtype=x.dtype)),
    "Neg": (lambda x: run_node("Neg", [np.maximum(x, -np.iinfo(x.dtype).max)]),
            lambda x: -np.maximum(x, -np.iinfo(x.dtype).max)),
    "ArgMax": (lambda x: run_node("ArgMax", [x >> 5], axis=3),
               lambda x: np.argmax(x >> 5, axis=3, keepdims=True)),
    "ArgMin": (lambda x: run_node("ArgMin", [x >> 5], axis=3),
               lambda x: np.argmin(x >> 5, axis=3, keepdims=True)),
    "TopK": (lambda x: run_top_k(x >> 5, 3), lambda x: top_k(x >> 5, 3)),
}


@pytest.mark.parametrize("op_type", sorted(ORT_DTYPES))
def test_listed_dtypes_run_exactly(op_type: str):
    assert op_type in CASES
    run, want = CASES[op_type]
    for dtype in sorted(ORT_DTYPES[op_type] & set(INT_DTYPES)):
        for seed in range(3):
            x = spread(dtype, (2, 3, 4, 4), seed)
            got = run(x)
            np.testing.assert_array_equal(got, want(x), err_msg=f"{op_type} on {dtype}")


def test_widening_is_lossless_and_supported():
    for op_type, allowed in ORT_DTYPES.items():
        for dtype in INT_DTYPES:
            wide = supported_dtype(op_type, dtype)
            if wide is None:
                continue
            assert wide in allowed or wide == dtype
            if np.dtype(wide).kind == "f":
                assert np.iinfo(dtype).bits <= 53
            else:
                assert np.can_cast(dtype, wide)


@pytest.mark.parametrize("op_type,fn", [
    ("Add", lambda a, b: (a >> 1) + (b >> 1)), ("Sub", lambda a, b: (a >> 1) - (b >> 1)),
    ("Mul", lambda a, b: (a >> 32) * (b >> 33)), ("Less", np.less), ("Equal", np.equal),
    ("GreaterOrEqual", np.greater_equal)])
def test_int64_arithmetic_the_export_uses_is_exact(op_type: str, fn):
    a, b = spread("int64", (5000,), 1), spread("int64", (5000,), 2)
    args = {"Add": (a >> 1, b >> 1), "Sub": (a >> 1, b >> 1), "Mul": (a >> 32, b >> 33)}
    got = run_node(op_type, list(args.get(op_type, (a, b))))
    np.testing.assert_array_equal(got, fn(a, b))


def test_int64_division_where_gather_matmul_are_exact():
    a = np.maximum(spread("int64", (5000,), 3), -np.iinfo(np.int64).max)
    d = np.abs(np.maximum(spread("int64", (5000,), 4), -np.iinfo(np.int64).max)) | 1
    np.testing.assert_array_equal(run_node("Mod", [a, d], fmod=0), np.mod(a, d))
    trunc = np.abs(a) // d * np.sign(a)
    np.testing.assert_array_equal(run_node("Div", [a, d]), trunc)
    cond = a > d
    np.testing.assert_array_equal(run_node("Where", [cond, a, d]), np.where(cond, a, d))
    idx = (d % 63).astype(np.int64)
    np.testing.assert_array_equal(run_node("Gather", [a[:63], idx], axis=0), a[:63][idx])
    m = (a >> 8).reshape(-1, 8)[:, :]
    w = np.array([[1], [-1], [2], [0], [1], [1], [-2], [1]], dtype=np.int64)
    np.testing.assert_array_equal(run_node("MatMul", [m, w]), m @ w)
    small = (a >> 12).reshape(-1, 10)
    np.testing.assert_array_equal(run_node("ReduceSum", [small], {"axes": np.array([1])}),
                                  small.sum(1, keepdims=True))
