"""Ops that keep their ONNX op type: data movement on integer tensors, and float ops.

Data movement (Reshape, Transpose, Slice, Concat, Pad, MaxPool, Max, Clip, ...) is exact on
integers by nature; ``ort_support`` widens the dtypes ONNX Runtime lacks a kernel for, and a
few forms are rewritten: integer GlobalMaxPool (float-only in ONNX Runtime) is a ReduceMax
over the spatial axes, and int64 Max/Min/Clip/Relu are built from exact comparisons. Float ops
the user kept in float are written as they are.

``qdq``: the same ops move the real values, which keeps their scale, between
QuantizeLinear/DequantizeLinear pairs.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import maximum, minimum
from intq.export.onnx_attrs import onnx_form
from intq.export.ort_support import data_inputs, emit_widened
from intq.export.qdq_builder import QdqBuilder
from intq.ir.graph import Node


def is_integer(b: OnnxBuilder, tensor: str) -> bool:
    return b.dtype(tensor).startswith(("int", "uint"))


def passthrough(b: OnnxBuilder, node: Node) -> None:
    """Write ``node`` as the ONNX op of the same type (the fallback of every format)."""
    op_type, ir_attrs = node.op, node.attrs
    inputs = [b.get(i) for i in node.inputs]
    consts = [b.constant_of(i) for i in node.inputs]
    data = inputs[0] if inputs else ""
    if data and is_integer(b, data):
        if op_type == "GlobalMaxPool":
            axes = np.arange(2, b.rank(node.inputs[0]))
            op_type, ir_attrs = "ReduceMax", {"keepdims": 1, "noop_with_empty_axes": 0}
            inputs, consts = [data, b.const(axes, "int64", "axes")], [None, axes]
        elif op_type == "Resize" and ir_attrs["mode"] != "nearest":
            raise b.unsupported(f"mode '{ir_attrs['mode']}' interpolates integers; only "
                                "'nearest' is exact")
        elif op_type in ("Max", "Min", "Clip", "Relu") and b.dtype(data) == "int64":
            b.set(node.outputs[0], _int64_extremum(b, op_type, inputs))
            return
    inputs, consts = explicit_split(b, node, inputs, consts)
    inputs, attrs = onnx_form(b, op_type, ir_attrs, inputs, consts)
    out_dtypes = [b.expected_dtype(o) if o else None for o in node.outputs]
    outs = emit_widened(b, op_type, inputs, out_dtypes, **attrs)
    for ir_name, tensor in zip(node.outputs, outs):
        if ir_name:
            b.set(ir_name, tensor)


def explicit_split(b: OnnxBuilder, node: Node, inputs: list[str],
                   consts: list[np.ndarray | None]) -> tuple[list[str], list[np.ndarray | None]]:
    """Before opset 18, Split by ``num_outputs`` only splits evenly: give it the sizes of the
    outputs (static in the IR) as its ``split`` input, which every opset reads the same way."""
    if node.op != "Split" or b.opset >= 18 or node.attrs["num_outputs"] is None:
        return inputs, consts
    axis = int(node.attrs["axis"])
    shapes = [b.ir_shape(o) for o in node.outputs]
    if any(s is None or not isinstance(s[axis], int) for s in shapes):
        return inputs, consts
    sizes = np.array([s[axis] for s in shapes], dtype=np.int64)
    return [inputs[0], b.const(sizes, hint="split")], [consts[0], sizes]


def _int64_extremum(b: OnnxBuilder, op_type: str, inputs: list[str]) -> str:
    """Max/Min/Clip/Relu of int64 tensors from exact comparisons (see ``int_arith``)."""
    if op_type == "Relu":
        return maximum(b, inputs[0], b.const(0, "int64", "zero"))
    if op_type == "Clip":
        x, low, high = (inputs + ["", ""])[:3]
        x = minimum(b, x, high) if high else x
        return maximum(b, x, low) if low else x
    fold = maximum if op_type == "Max" else minimum
    result = inputs[0]
    for other in inputs[1:]:
        result = fold(b, result, other)
    return result


def passthrough_qdq(b: QdqBuilder, node: Node) -> None:
    """The QDQ pass-through: data movement of quantized values moves their real values; an
    integer constant beside them (Clip bounds, a Pad value) is on their grid and is scaled.
    An 8-bit result is fake-quantized again (a no-op on grid values) so that every consumer
    reads a DequantizeLinear, the pattern engines look for."""
    positions = [i for i in data_inputs(node.op, len(node.inputs)) if node.inputs[i]]
    quantized = [i for i in positions if b.is_real(node.inputs[i])]
    if not quantized:
        passthrough(b, node)
        return
    live = [i for i in quantized if node.inputs[i] not in b.graph.constants]
    scale = b.scale_of(node.inputs[(live or quantized)[0]])
    if scale.size != 1:
        raise b.unsupported("a per-channel accumulator cannot pass through; requantize first")
    inputs, consts = [], []
    for i, name in enumerate(node.inputs):
        array = b.constant_of(name)
        if i in quantized:
            inputs.append(b.real(name))
        elif i in positions and array is not None and array.dtype.kind in "iu":
            inputs.append(b.const((array * scale).astype(np.float32), hint="scaled"))
        else:
            inputs.append(b.get(name))
        consts.append(array)
    inputs, consts = explicit_split(b, node, inputs, consts)
    inputs, attrs = onnx_form(b, node.op, node.attrs, inputs, consts)
    outs = b.ops(node.op, inputs, [b.expected_dtype(o) if o else None for o in node.outputs],
                 **attrs)
    for ir_name, tensor in zip(node.outputs, outs):
        quant = b.graph.values[ir_name].quant if ir_name else None
        if ir_name and b.is_real(ir_name):
            if quant.bits <= 8:
                tensor = b.fake_quantize(tensor, float(scale), quant.bits, quant.signed)
            b.set_real(ir_name, tensor, scale)
        elif ir_name:
            b.set(ir_name, tensor)
