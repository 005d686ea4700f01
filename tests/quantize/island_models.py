"""Hand ONNX graphs with an op intq has no float reference for (GridSample), as real models
use it: a spatial transformer whose sampling grid a convolution predicts."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from frontends.onnx_models import tensor


def grid_sample_between_convs(opset: int = 17) -> onnx.ModelProto:
    """conv1 → relu1 → (conv_grid → tanh → to_nhwc: the grid) → sample → conv2."""
    rng = np.random.default_rng(0)
    weights = {"w1": (4, 3, 3, 3), "wg": (2, 4, 3, 3), "w2": (5, 4, 3, 3)}
    inits = [numpy_helper.from_array(rng.normal(0, 0.3, shape).astype(np.float32), name)
             for name, shape in weights.items()]
    conv = {"pads": [1, 1, 1, 1]}
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a0"], name="conv1", **conv),
             helper.make_node("Relu", ["a0"], ["a"], name="relu1"),
             helper.make_node("Conv", ["a", "wg"], ["g0"], name="conv_grid", **conv),
             helper.make_node("Tanh", ["g0"], ["g1"], name="tanh"),
             helper.make_node("Transpose", ["g1"], ["grid"], name="to_nhwc", perm=[0, 2, 3, 1]),
             helper.make_node("GridSample", ["a", "grid"], ["s"], name="sample"),
             helper.make_node("Conv", ["s", "w2"], ["y"], name="conv2", **conv)]
    graph = helper.make_graph(nodes, "spatial_transformer", [tensor("x", ["N", 3, 8, 8])],
                              [tensor("y", ["N", 5, 8, 8])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=8)
    onnx.checker.check_model(model, full_check=True)
    return model


def images(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, 3, 8, 8)).astype(np.float32)
