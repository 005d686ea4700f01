"""Small float graphs, quantizing them, and the checks every lowering test makes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import intq
from intq.ir.graph import Graph
from intq.ops import infer_shapes
from intq.ops.registry import normalize_attrs
from intq.quant.fixedpoint import int_range
from intq.quantize import QuantConfig, QuantizedModel
from intq.quantize.scales import quantize_to
from intq.runtime.executor import run

BOUNDARY = {"Quantize", "Dequantize"}


def op(graph: Graph, op_type: str, inputs: Sequence[str | Any], outputs: int = 1,
       **attrs: Any) -> str | list[str]:
    """Append a node with normalized attributes; non-string inputs become float32 constants
    (int64 for integer arrays, bool for booleans)."""
    names = [i if isinstance(i, str) else graph.add_constant("c", _array(i)) for i in inputs]
    name = graph.unique_name(op_type.lower())
    node = graph.add_node(op_type, names, outputs, name=name,
                          attrs=normalize_attrs(op_type, attrs, name))
    return node.outputs[0] if outputs == 1 else node.outputs


def _array(value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "b":
        return array
    return array.astype(np.float32 if array.dtype.kind == "f" else np.int64)


def finish(graph: Graph, *outputs: str) -> Graph:
    graph.outputs = list(outputs)
    infer_shapes(graph)
    graph.validate()
    return graph


def quantize(graph: Graph, data: Any, **config: Any) -> QuantizedModel:
    """Quantize with min/max calibration and max-abs weights (no clipping, so errors stay
    within grid steps)."""
    settings = {"calibration": {"method": "minmax"}, "weight_clipping": "max", **config}
    return intq.quantize(graph, data, QuantConfig.from_dict(settings), progress=False)


def integer_ops(model: QuantizedModel) -> list[str]:
    """Op types between the Quantize and Dequantize nodes, in graph order."""
    return [n.op for n in model.graph.nodes if n.op not in BOUNDARY]


def float_values_inside(model: QuantizedModel) -> list[str]:
    """Non-constant float tensors read or written by nodes other than Quantize/Dequantize and
    the nodes recorded as float: must be empty for an integer-only model."""
    graph = model.graph
    floating = set(graph.meta["quantization"]["float_nodes"])
    found = []
    for node in graph.nodes:
        if node.op in BOUNDARY or node.name in floating:
            continue
        for name in [*node.inputs, *node.outputs]:
            if name and name not in graph.constants and \
                    np.dtype(graph.values[name].dtype).kind == "f":
                found.append(f"{node.name}:{name}")
    return found


def assert_close(model: QuantizedModel, graph: Graph, *inputs: np.ndarray,
                 steps: float) -> None:
    """Dequantized outputs within ``steps`` output grid steps of the float graph's (saturated
    to the output grid's range), on inputs snapped to the input grids (so the error measured
    is the lowering's, not the inputs')."""
    inputs = tuple(on_grid(x, q) for x, q in zip(inputs, model.input_quant))
    want = run(graph, *inputs)
    got = model.run(*inputs)
    for w, g, quant in zip(want, got, model.output_quant):
        lo, hi = int_range(quant.bits, quant.signed)
        w = np.clip(w, lo * quant.scale, hi * quant.scale)
        error = float(np.abs(g.astype(np.float64) - w).max())
        assert error <= steps * quant.scale, f"error {error} > {steps} steps of {quant.scale}"


def on_grid(x: np.ndarray, quant: Any) -> np.ndarray:
    """``x`` rounded to the integer grid ``quant`` (unchanged for integer inputs)."""
    if quant is None:
        return x
    q = quantize_to(x, quant)
    return (q.astype(np.float64) * quant.scale).astype(x.dtype)


def normal(*shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
