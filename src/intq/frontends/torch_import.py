"""PyTorch frontend: export the module to ONNX in memory, then import that.

Going through ONNX (the TorchScript exporter, ``dynamo=False``) keeps one importer and one set
of op semantics; nothing is written to disk.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from intq.errors import IntqError, UnsupportedOpError
from intq.frontends.onnx_import import import_onnx
from intq.ir.graph import Graph

BATCH = "N"


def import_torch(module: Any, example_inputs: Any, *, input_names: Sequence[str] | None = None,
                 output_names: Sequence[str] | None = None,
                 dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
                 opset: int = 17) -> Graph:
    """Import ``module`` (run in eval mode) traced on ``example_inputs``.

    Axis 0 of every input and output is the dynamic batch ``"N"``; ``dynamic_axes`` adds more
    (``{"input": {1: "T"}}``) or renames them, keyed by input/output name.
    """
    data = export_onnx_bytes(module, example_inputs, input_names=input_names,
                             output_names=output_names, dynamic_axes=dynamic_axes, opset=opset)
    graph = import_onnx(data)
    graph.name = type(module).__name__
    graph.meta["source"] = "torch"
    return graph


def export_onnx_bytes(module: Any, example_inputs: Any, *,
                      input_names: Sequence[str] | None = None,
                      output_names: Sequence[str] | None = None,
                      dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
                      opset: int = 17) -> bytes:
    """The ONNX model ``import_torch`` imports, as bytes (for running it elsewhere too)."""
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise IntqError(f"expected a torch.nn.Module, got {type(module).__name__}")
    args = _as_tensors(torch, example_inputs)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            outputs = module(*args)
        n_out = len(outputs) if isinstance(outputs, (tuple, list)) else 1
        input_names = list(input_names or _default_names("input", len(args)))
        output_names = list(output_names or _default_names("output", n_out))
        axes = {name: {0: BATCH} for name in input_names + output_names}
        for name, extra in (dynamic_axes or {}).items():
            if name not in axes:
                raise IntqError(f"dynamic_axes names '{name}', which is none of the inputs "
                                f"{input_names} or outputs {output_names}")
            axes[name].update(extra)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(module, args, buffer, input_names=input_names,
                              output_names=output_names, dynamic_axes=axes, opset_version=opset,
                              dynamo=False, do_constant_folding=True)
    except ModuleNotFoundError as exc:
        if exc.name != "onnxscript":
            raise
        raise IntqError("torch.onnx.export needs the onnxscript package here: pip install "
                        "onnxscript (or pip install 'intq[torch]')") from None
    except torch.onnx.errors.OnnxExporterError as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UnsupportedOpError(f"torch.onnx.export cannot export {type(module).__name__}: "
                                 f"{first}; replace that op or import an ONNX export instead"
                                 ) from None
    finally:
        module.train(was_training)
    return buffer.getvalue()


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise IntqError("importing a torch model needs PyTorch; pip install intq[torch]") from None
    return torch


def _as_tensors(torch: Any, example_inputs: Any) -> tuple:
    items = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    return tuple(torch.from_numpy(np.ascontiguousarray(x)) if isinstance(x, np.ndarray) else x
                 for x in items)


def _default_names(stem: str, count: int) -> list[str]:
    return [stem] if count == 1 else [f"{stem}_{i}" for i in range(count)]
