"""Which tensor dtypes ONNX Runtime's CPU kernels handle exactly, for ops that take only some.

ONNX allows every integer type for most ops, but ONNX Runtime registers kernels for a subset
(no int16 MaxPool, no int8 ReduceSum, no uint8 Relu...), and some registered int64 kernels
are not exact: Max, Min, Clip, ReduceMax and ReduceMin go wrong beyond 2^31 on AVX2 builds,
ReduceSum accumulates in double. Those are left out here. An op on a dtype missing here runs
in the narrowest wider dtype that holds every value exactly and is cast back, which changes
no value. ``tests/export/test_ort_support.py`` checks this table against ONNX Runtime.
Ops not listed accept every dtype intq uses (pure data movement: Reshape, Transpose...).
"""

from __future__ import annotations

from collections.abc import Sequence

from intq.export.builder import OnnxBuilder

_FLOATS = {"float32", "float64"}
_MINMAX = {"int8", "uint8", "int32", "uint32"} | _FLOATS

ORT_DTYPES: dict[str, set[str]] = {
    "MaxPool": {"int8", "uint8"} | _FLOATS,
    "Relu": {"int8", "int32"} | _FLOATS,
    "Max": _MINMAX,
    "Min": _MINMAX,
    "Clip": _MINMAX,
    "ReduceMax": {"int8", "uint8", "int32"} | _FLOATS,
    "ReduceMin": {"int8", "uint8", "int32"} | _FLOATS,
    "ReduceSum": {"int32"} | _FLOATS,
    "Pad": {"int8", "uint8", "int32", "uint32", "int64"} | _FLOATS,
    "Resize": {"int8", "uint8", "int32", "float32"},
    "MatMul": {"int32", "uint32", "int64"} | _FLOATS,
    "CumSum": {"int32", "int64"} | _FLOATS,
    "Neg": {"int8", "int16", "int32", "int64"} | _FLOATS,
    "ArgMax": {"int8", "uint8", "int32", "int64"} | _FLOATS,
    "ArgMin": {"int8", "uint8", "int32", "int64"} | _FLOATS,
    "TopK": {"int8", "uint8", "int16", "int32", "int64"} | _FLOATS,
}

LOSSLESS = {
    "int8": ("int16", "int32", "int64", "float64"),
    "uint8": ("uint16", "int16", "int32", "uint32", "int64", "float64"),
    "int16": ("int32", "int64", "float64"),
    "uint16": ("int32", "uint32", "int64", "float64"),
    "int32": ("int64", "float64"),
    "uint32": ("int64", "float64"),
}
"""Wider dtypes that represent every value of a dtype, narrowest first."""

SAME_DTYPE_INPUTS = {"Concat": None, "Max": None, "Min": None, "Sum": None, "Mean": None,
                     "Clip": (0, 1, 2), "Pad": (0, 2), "Where": (1, 2)}
"""Inputs that must share the data dtype (``None``: all of them); other ops: input 0 only."""


def supported_dtype(op_type: str, dtype: str) -> str | None:
    """``dtype`` itself or the narrowest lossless wider dtype ONNX Runtime runs ``op_type`` in;
    ``None`` when there is none."""
    allowed = ORT_DTYPES.get(op_type)
    if allowed is None or dtype in allowed or dtype == "bool":
        return dtype
    return next((d for d in LOSSLESS.get(dtype, ()) if d in allowed), None)


def data_inputs(op_type: str, count: int) -> Sequence[int]:
    indices = SAME_DTYPE_INPUTS.get(op_type, (0,))
    return range(count) if indices is None else [i for i in indices if i < count]


def emit_widened(b: OnnxBuilder, op_type: str, inputs: Sequence[str],
                 out_dtypes: Sequence[str | None], **attrs: object) -> list[str]:
    """Emit ``op_type``, casting its data inputs to a dtype ONNX Runtime supports and the
    outputs of that dtype back; raises the node's export error when no lossless dtype exists."""
    positions = [i for i in data_inputs(op_type, len(inputs)) if inputs[i]]
    if not positions:
        return b.ops(op_type, inputs, out_dtypes, **attrs)
    dtype = b.dtype(inputs[positions[0]])
    run_dtype = supported_dtype(op_type, dtype)
    if run_dtype is None:
        raise b.unsupported(f"ONNX Runtime has no {op_type} kernel for {dtype} or a dtype "
                            "holding it exactly")
    if run_dtype == dtype:
        return b.ops(op_type, inputs, out_dtypes, **attrs)
    inputs = [b.cast(x, run_dtype) if i in positions else x for i, x in enumerate(inputs)]
    widened = [run_dtype if d == dtype else d for d in out_dtypes]
    outs = b.ops(op_type, inputs, widened, **attrs)
    return [b.cast(o, dtype) if o and d == dtype else o for o, d in zip(outs, out_dtypes)]
