"""The QDQ view of an integer graph: every quantized IR value becomes its real (float) value.

An IR integer value ``q`` is written as a float tensor ``r = q * s``, where ``s`` is the
*natural* scale of the float computation that made it (``s_x * s_w`` after a Conv, the
weight scale per output channel), tracked here as an array that broadcasts against the
tensor. Each requantization then multiplies by ``(m / 2^k) * s_out / s`` (dropped when it is
1) and fake-quantizes: ``DequantizeLinear(QuantizeLinear(r, s_out))``, the pattern TensorRT
and OpenVINO fuse into integer kernels. Float rounding replaces intq's dyadic one, so the
result is close to intq's, not identical.
"""

from __future__ import annotations

import numpy as np

from intq.export.builder import OnnxBuilder
from intq.export.int_arith import along_axis
from intq.ir.graph import Graph
from intq.quant.fixedpoint import int_range, storage_dtype

UNIT = 1e-6
"""A rescale factor this close to 1 is left out (float32 cannot do better anyway)."""


class QdqBuilder(OnnxBuilder):
    """An ``OnnxBuilder`` whose quantized IR values are float tensors with a natural scale."""

    def __init__(self, graph: Graph, opset: int) -> None:
        super().__init__(graph, opset)
        self.scales: dict[str, np.ndarray] = {}
        self._const_reals: dict[str, str] = {}

    def is_real(self, ir_name: str) -> bool:
        """Whether IR value ``ir_name`` is a quantized tensor, i.e. a float one in QDQ form."""
        value = self.graph.values.get(ir_name) if ir_name else None
        return value is not None and value.quant is not None and value.dtype != "float32"

    def expected_dtype(self, ir_name: str) -> str:
        if self.is_real(ir_name) and ir_name not in self.graph.constants:
            return "float32"
        return super().expected_dtype(ir_name)

    def real(self, ir_name: str) -> str:
        """The float tensor of a quantized IR value; a constant is dequantized with its own
        scale (per channel along its axis)."""
        if ir_name not in self.graph.constants:
            return self.get(ir_name)
        if ir_name not in self._const_reals:
            quant = self.graph.values[ir_name].quant
            if quant is None or quant.scale is None:
                raise self.unsupported(f"constant '{ir_name}' has no scale")
            array = self.graph.constants[ir_name]
            scale = np.asarray(quant.scale, dtype=np.float64)
            self.scales[ir_name] = along_axis(scale, quant.axis or 0, array.ndim)
            self._const_reals[ir_name] = self.dequantize_const(array, scale, quant.axis)
        return self._const_reals[ir_name]

    def dequantize_const(self, array: np.ndarray, scale: np.ndarray, axis: int | None) -> str:
        """``DequantizeLinear`` of an integer initializer (int8/uint8/int32), per channel when
        ``scale`` has more than one entry."""
        if array.dtype.name not in ("int8", "uint8", "int32"):
            array = array.astype(np.int32)
        per_channel = scale.size > 1
        scale32 = scale.astype(np.float32).reshape(-1 if per_channel else ())
        zero = np.zeros(scale32.shape, dtype=array.dtype)
        attrs = {"axis": (axis or 0) % array.ndim} if per_channel else {}
        return self.op("DequantizeLinear", [self.const(array, hint="q"), self.const(scale32),
                                            self.const(zero, hint="zero_point")], "float32",
                       "dequantized", **attrs)

    def scale_of(self, ir_name: str) -> np.ndarray:
        """The natural scale of a quantized value (its recorded scale for graph inputs)."""
        if ir_name not in self.scales:
            self.real(ir_name)
        if ir_name not in self.scales:
            quant = self.graph.values[ir_name].quant
            self.scales[ir_name] = np.asarray(quant.scale, dtype=np.float64)
        return self.scales[ir_name]

    def set_real(self, ir_name: str, tensor: str, scale: np.ndarray) -> None:
        self.scales[ir_name] = np.asarray(scale, dtype=np.float64)
        self.set(ir_name, tensor)

    def output_scale(self, ir_name: str) -> float:
        """The per-tensor scale the IR declares for an activation."""
        quant = self.graph.values[ir_name].quant
        if quant is None or quant.scale is None or isinstance(quant.scale, list):
            raise self.unsupported(f"value '{ir_name}' has no per-tensor scale")
        return float(quant.scale)

    def rescale(self, r: str, factor: np.ndarray) -> str:
        """``r * factor`` unless the factor is 1 everywhere."""
        factor = np.asarray(factor, dtype=np.float64)
        if np.abs(factor - 1).max() <= UNIT:
            return r
        return self.op("Mul", [r, self.const(factor.astype(np.float32), hint="rescale")])

    def quantize_output(self, ir_name: str) -> str:
        """An integer graph output (no Dequantize after it): its real value quantized back
        with ``QuantizeLinear`` into the IR's dtype."""
        self.node = None
        value = self.graph.values[ir_name]
        if value.dtype not in ("int8", "uint8"):
            raise self.unsupported(f"output '{ir_name}' is {value.dtype}; QDQ writes 8-bit "
                                   "integer outputs only")
        scale = self.const(self.output_scale(ir_name), "float32", f"{ir_name}_scale")
        zero = self.const(0, value.dtype, f"{ir_name}_zero_point")
        return self.op("QuantizeLinear", [self.env[ir_name], scale, zero], value.dtype)

    def fake_quantize(self, r: str, scale: float, bits: int, signed: bool,
                      lo: int | None = None, hi: int | None = None) -> str:
        """``DequantizeLinear(QuantizeLinear(r))`` on the 8-bit grid of ``scale``, after a
        float Clip when ``[lo, hi]`` is narrower than the storage dtype's range."""
        dtype = storage_dtype(bits, signed).name
        if dtype not in ("int8", "uint8"):
            raise self.unsupported(f"QDQ holds 8-bit tensors, this one is {bits}-bit")
        full = int_range(8, signed)
        lo = full[0] if lo is None else lo
        hi = full[1] if hi is None else hi
        if (lo, hi) != full:
            r = self.op("Clip", [r, self.const(lo * scale, "float32", "lo"),
                                 self.const(hi * scale, "float32", "hi")])
        scale_c = self.const(scale, "float32", "scale")
        zero = self.const(0, dtype, "zero_point")
        q = self.op("QuantizeLinear", [r, scale_c, zero], dtype)
        return self.op("DequantizeLinear", [q, scale_c, zero], "float32")
