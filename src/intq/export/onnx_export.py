"""``export_onnx``: write a quantized intq graph as an ONNX file, checked and atomically."""

from __future__ import annotations

import os
from pathlib import Path

import onnx

from intq.errors import IntqError
from intq.export.int_format import int_model
from intq.export.qdq_format import qdq_model
from intq.ir.graph import Graph
from intq.ir.serialize import write_atomic
from intq.quantize.model import QuantizedModel

OPSETS = range(17, 22)
"""Opsets the export writes; 17 is the default (ONNX Runtime >= 1.14 runs it)."""


class ExportError(IntqError):
    """An export request that cannot be honoured: unknown format, opset, option mix."""


def to_onnx(graph: Graph | QuantizedModel, *, format: str = "int", raw: bool = False,
            opset: int = 17) -> onnx.ModelProto:
    """The ONNX model ``export_onnx`` writes, checked by ``onnx.checker``, in memory."""
    if isinstance(graph, QuantizedModel):
        graph = graph.graph
    if not isinstance(graph, Graph):
        raise ExportError(f"export takes a quantized model or its graph, got "
                          f"{type(graph).__name__}")
    if format not in ("int", "qdq"):
        raise ExportError(f"export format '{format}' is unknown; use 'int' or 'qdq'")
    if opset not in OPSETS:
        raise ExportError(f"opset {opset} is not supported for export; use "
                          f"{OPSETS.start}..{OPSETS.stop - 1}")
    if raw and format != "int":
        raise ExportError("raw integer outputs need format 'int'")
    model = int_model(graph, raw, opset) if format == "int" else qdq_model(graph, opset)
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(graph: Graph | QuantizedModel, path: str | os.PathLike, *,
                format: str = "int", raw: bool = False, opset: int = 17) -> Path:
    """Write a quantized model (or its graph) to ``path`` as ONNX; return the path.

    ``format="int"``: integer ONNX ops only between the input QuantizeLinear and the output
    Dequantize; ONNX Runtime's outputs are bit-identical to intq's integer runtime (float in,
    float out; with ``raw=True`` the outputs are the integers ``intq run --raw`` writes).
    A node that cannot be written exactly raises an error naming it.

    ``format="qdq"``: float ops between QuantizeLinear/DequantizeLinear pairs with the graph's
    scales (per-channel weights along their axis), the form TensorRT or OpenVINO turn into
    integer kernels. **Not bit-exact**: those engines requantize with float scales, so outputs
    differ from intq's by rounding (see docs/EXPORT.md for measured differences).
    """
    model = to_onnx(graph, format=format, raw=raw, opset=opset)
    path = Path(path)
    data = model.SerializeToString()
    write_atomic(path, data)
    return path
