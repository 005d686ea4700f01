"""Hand-built ONNX models for importer tests, and a check that intq runs them as ORT does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from intq.frontends.onnx_import import import_onnx
from intq.ir.graph import Graph
from intq.runtime.executor import run
from conftest import rel_error, run_ort

RTOL = 1e-5


def tensor(name: str, shape: Sequence[Any] | None, dtype: Any = np.float32
           ) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)),
                                         shape)


def make(nodes: Sequence[onnx.NodeProto], inputs: Sequence[onnx.ValueInfoProto],
         outputs: Sequence[onnx.ValueInfoProto | str],
         initializers: dict[str, np.ndarray] | None = None, opset: int = 21,
         ir_version: int = 10) -> onnx.ModelProto:
    """A checker-clean model of ``nodes`` at ``opset``; outputs given by name get the type
    ONNX shape inference gives them."""
    inits = [numpy_helper.from_array(np.asarray(a), n) for n, a in (initializers or {}).items()]
    outs = [helper.make_empty_tensor_value_info(o) if isinstance(o, str) else o for o in outputs]
    graph = helper.make_graph(list(nodes), "test", list(inputs), outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=ir_version)
    if any(isinstance(o, str) for o in outputs):
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        del model.graph.output[:]
        model.graph.output.extend(inferred.graph.output)
    onnx.checker.check_model(model)
    return model


def assert_matches_ort(model: onnx.ModelProto, *inputs: np.ndarray, graph: Graph | None = None
                       ) -> Graph:
    """Import ``model`` (unless ``graph`` is given) and compare every output with ORT."""
    data = model.SerializeToString()
    graph = graph if graph is not None else import_onnx(data)
    wants = run_ort(data, *inputs)
    gots = run(graph, *inputs)
    assert len(gots) == len(wants)
    for got, want in zip(gots, wants):
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        if want.dtype.kind == "f":
            assert rel_error(got, want) <= RTOL
        else:
            np.testing.assert_array_equal(got, want)
    return graph


def assert_import_fails(kind: type[Exception], source: Any, *needles: str, **options: Any
                        ) -> str:
    """Importing ``source`` raises ``kind`` with a one-line message containing ``needles``."""
    with pytest.raises(kind) as info:
        import_onnx(source, **options)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message, message
    return message
