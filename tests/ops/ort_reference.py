"""Checks an op against ONNX Runtime: a single-node opset-21 model, run on the same arrays.

``check_op`` compares values (relative error max|a-b|/max|b| <= 1e-5 for floats, exact for
integers and bools), dtypes and the op's ``infer`` result with what ONNX Runtime produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnxruntime as ort
from onnx import helper, numpy_helper

from intq.ir.graph import TensorType
from intq.ops import get_op
from intq.ops.registry import normalize_attrs

OPSET = 21
RTOL = 1e-5


def run_ort(op_type: str, inputs: Sequence[np.ndarray | None], attrs: dict[str, Any] | None = None,
            consts: Sequence[int] = (), num_outputs: int = 1) -> list[np.ndarray]:
    """Run one ONNX node; inputs whose index is in ``consts`` become initializers."""
    names, graph_inputs, initializers, feeds = [], [], [], {}
    for i, array in enumerate(inputs):
        if array is None:
            names.append("")
            continue
        name = f"in{i}"
        names.append(name)
        if i in consts:
            initializers.append(numpy_helper.from_array(np.asarray(array), name))
        else:
            dtype = helper.np_dtype_to_tensor_dtype(array.dtype)
            graph_inputs.append(helper.make_tensor_value_info(name, dtype, array.shape))
            feeds[name] = array
    while names and names[-1] == "":
        names.pop()
    outputs = [f"out{i}" for i in range(num_outputs)]
    node = helper.make_node(op_type, names, outputs, **(attrs or {}))
    graph = helper.make_graph([node], "single", graph_inputs,
                              [helper.make_empty_tensor_value_info(o) for o in outputs],
                              initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=10)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = RTOL, what: str = "") -> None:
    assert got.shape == want.shape, f"{what} shape {got.shape} != {want.shape}"
    assert got.dtype == want.dtype, f"{what} dtype {got.dtype} != {want.dtype}"
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{what} NaNs")
    finite = ~np.isnan(want)
    if not finite.any():
        return
    scale = np.abs(want[finite]).max()
    err = np.abs(got[finite].astype(np.float64) - want[finite]).max()
    assert err <= rtol * max(scale, 1e-30), f"{what} rel err {err / max(scale, 1e-30):.3g}"


def check_op(op_type: str, inputs: Sequence[np.ndarray | None],
             onnx_attrs: dict[str, Any] | None = None, attrs: dict[str, Any] | None = None,
             consts: Sequence[int] = (), num_outputs: int = 1, rtol: float = RTOL
             ) -> list[np.ndarray]:
    """Compare ``evaluate`` and ``infer`` of ``op_type`` with ONNX Runtime.

    ``attrs`` are the IR attributes, when they differ from ``onnx_attrs`` (Cast's ``to``).
    """
    inputs = [None if a is None else np.asarray(a) for a in inputs]
    want = run_ort(op_type, inputs, onnx_attrs, consts, num_outputs)
    ir_attrs = normalize_attrs(op_type, attrs if attrs is not None else dict(onnx_attrs or {}))
    opdef = get_op(op_type)
    got = opdef.evaluate(ir_attrs, *inputs)[:num_outputs]
    assert len(got) == num_outputs
    for i, (g, w) in enumerate(zip(got, want)):
        assert_close(np.asarray(g), w, rtol, f"{op_type} output {i}")
    types = [None if a is None else TensorType(tuple(a.shape), a.dtype.name) for a in inputs]
    const_values = [a if i in consts else None for i, a in enumerate(inputs)]
    inferred = opdef.infer(ir_attrs, types, const_values)[:num_outputs]
    for i, (t, w) in enumerate(zip(inferred, want)):
        assert t == TensorType(tuple(w.shape), w.dtype.name), f"{op_type} infer {i}: {t}"
    return got


def infer_types(op_type: str, attrs: dict[str, Any], types: Sequence[TensorType | None],
                consts: Sequence[np.ndarray | None] | None = None) -> list[TensorType]:
    """``infer`` with normalized attributes, for symbolic-shape tests."""
    consts = consts if consts is not None else [None] * len(types)
    return get_op(op_type).infer(normalize_attrs(op_type, attrs), types, consts)
