"""Every integer op: JSON attribute defaults, documented in the op's docstring and in
docs/INTEGER_SEMANTICS.md, and arrays (never NumPy scalars) out of both paths."""

import json
from pathlib import Path

import numpy as np
import pytest

from intq.ops import get_op
from intq.ops.integer import IntegerOp
from intq.ops.registry import REQUIRED, normalize_attrs, registered_ops

INTEGER_OPS = sorted(op for op in registered_ops() if isinstance(get_op(op), IntegerOp))
DOC = Path(__file__).parents[3] / "docs" / "INTEGER_SEMANTICS.md"

SCALAR_CASES = {
    "Quantize": ({"scale": 0.5}, [np.array(1.0, np.float32)]),
    "Dequantize": ({"scale": 0.5}, [np.array(3, np.int8)]),
    "IntMul": ({}, [np.array(3, np.int8), np.array(-4, np.int8)]),
    "IntAdd": ({"multipliers": [1, 1], "shift": 1}, [np.array(3, np.int8)] * 2),
    "Requantize": ({}, [np.array(5, np.int32), np.array(3), np.array(1)]),
    "IntLUT": ({"in_lo": -128}, [np.array(3, np.int8), np.arange(256).astype(np.int8)]),
    "IntMatMul": ({}, [np.array([1, 2], np.int8), np.array([3, 4], np.int8)]),
    "IntReduceSum": ({"keepdims": 0}, [np.array([1, 2], np.int8)]),
    "IntDiv": ({"m": 3, "k": 1}, [np.array(5, np.int8), np.array(2, np.int8)]),
}


def test_all_documented_op_types_are_registered():
    assert INTEGER_OPS == sorted(["Quantize", "Dequantize", "IntConv", "IntMatMul", "Requantize",
                                  "IntAdd", "IntMul", "IntSumPool", "IntReduceSum", "IntLUT",
                                  "IntSoftmax", "IntLayerNorm", "IntZeroInsert", "IntResize",
                                  "IntGroupNorm", "IntCumSum", "IntLogSoftmax", "IntDiv",
                                  "IntL2Normalize", "IntLSTM", "IntMean", "IntGRU", "IntSqrt"])


@pytest.mark.parametrize("op_type", INTEGER_OPS)
def test_schema_is_json_and_documented(op_type):
    opdef = get_op(op_type)
    given = {key: 1 for key, default in opdef.attrs.items() if default is REQUIRED}
    given |= {"kernel_shape": [3, 3]} if "kernel_shape" in given else {}
    given |= {"multipliers": [1], "shift": 0} if op_type == "IntAdd" else {}
    attrs = normalize_attrs(op_type, given)
    assert json.loads(json.dumps(attrs)) == attrs
    for key in opdef.attrs:
        assert f"``{key}``" in opdef.__doc__, f"{op_type}.{key} missing from its docstring"
    assert f"| `{op_type}` |" in DOC.read_text().split("## Op schemas")[1]


@pytest.mark.parametrize("op_type", sorted(SCALAR_CASES))
def test_rank_zero_results_are_arrays(op_type):
    attrs, inputs = SCALAR_CASES[op_type]
    attrs = normalize_attrs(op_type, attrs)
    opdef = get_op(op_type)
    for evaluate in (opdef.evaluate, opdef.evaluate_fast):
        assert isinstance(evaluate(attrs, *inputs)[0], np.ndarray)


@pytest.mark.parametrize("op_type, attrs, inputs", [
    ("IntConv", {"kernel_shape": [2]}, [np.full((1, 1, 2), 2**62, np.int64),
                                       np.full((1, 1, 2), 2, np.int8)]),
    ("IntMatMul", {}, [np.full((1, 2), 2**62, np.int64), np.full((2, 1), 2, np.int8)]),
    ("IntMul", {}, [np.array([2**62], np.int64), np.array([2], np.int8)]),
    ("IntSumPool", {"kernel_shape": [2]}, [np.full((1, 1, 2), 2**62, np.int64)]),
    ("IntReduceSum", {}, [np.full(2, 2**62, np.int64)]),
])
def test_int64_references_refuse_results_int64_cannot_hold(op_type, attrs, inputs):
    attrs = normalize_attrs(op_type, {**attrs, "acc_bits": 64})
    opdef = get_op(op_type)
    for evaluate in (opdef.evaluate, opdef.evaluate_fast):
        with pytest.raises(ValueError, match="beyond int64"):
            evaluate(attrs, *inputs)
