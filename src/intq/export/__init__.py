"""Export of quantized graphs: ``int`` (bit-exact integer ONNX) and ``qdq`` (Q/DQ ONNX)."""

from intq.export.onnx_export import ExportError, export_onnx, to_onnx

__all__ = ["ExportError", "export_onnx", "to_onnx"]
