"""``intq.quantize``: prepare, isolate softmax masks, calibrate, lower, prove; on a copy.

The user's model is never modified, and nothing is written: a failure at any stage (bad
config, bad calibration data, an op that cannot be made exact) leaves no partial result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intq.calibration.calibrate import calibrate
from intq.errors import IntqError
from intq.ir.graph import Graph
from intq.model import FloatModel
from intq.passes import attach_input_shapes, isolate_softmax_masks, prepare
from intq.quantize.config import QuantConfig
from intq.quantize.errors import QuantConfigError
from intq.quantize.float_region import (SOURCE_OPS_KEY, check_names, remember_source_ops,
                                       warn_float_nodes)
from intq.quantize.lower import lower
from intq.quantize.model import QuantizedModel
from intq.runtime.overflow import fit_accumulators


def quantize(model: FloatModel | Graph, calib_data: Any,
             config: QuantConfig | Mapping[str, Any] | None = None, *,
             progress: bool = True) -> QuantizedModel:
    """Post-training quantization of a float model into an integer-only model.

    ``calib_data``: an array (single-input model), a tuple of arrays (one per input, batched
    on axis 0), or an iterable of such batches (see ``calibration.data``). ``config``: a
    ``QuantConfig``, a plain dict of its settings, or None for the defaults (int8,
    per-channel symmetric weights, per-tensor activations, MSE calibration).
    """
    config = _config(config)
    graph = prepared_graph(model, config)
    observers = calibrate(graph, calib_data, method=config.calibration.observer_config(),
                          progress=progress, batch_size=config.calibration.batch_size)
    quantized = lower(graph, observers, config)
    quantized.meta.pop(SOURCE_OPS_KEY, None)
    fit_accumulators(quantized)
    qmodel = QuantizedModel(quantized)
    warn_float_nodes(quantized.name, qmodel.float_nodes)
    return qmodel


def prepared_graph(model: FloatModel | Graph, config: QuantConfig) -> Graph:
    """A prepared copy of the model's float graph, as calibration and lowering see it."""
    if isinstance(model, FloatModel):
        graph = model.graph.copy()
    elif isinstance(model, Graph):
        graph = model.copy()
    else:
        raise IntqError(f"intq.quantize takes a FloatModel (from intq.load_onnx or "
                        f"intq.from_torch) or a Graph, got {type(model).__name__}")
    if config.input_shapes:
        attach_input_shapes(graph, config.input_shapes)
    remember_source_ops(graph)
    prepare(graph)
    isolate_softmax_masks(graph)
    check_names(graph, config)
    return graph


def _config(config: QuantConfig | Mapping[str, Any] | None) -> QuantConfig:
    if config is None:
        return QuantConfig()
    if isinstance(config, QuantConfig):
        return config
    if isinstance(config, Mapping):
        return QuantConfig.from_dict(config)
    raise QuantConfigError(f"config must be a QuantConfig, a dict of settings or None, got "
                           f"{type(config).__name__}")
