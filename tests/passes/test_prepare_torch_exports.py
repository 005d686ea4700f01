"""``prepare`` on torch exports: every zoo model, imported as users import them and as raw
exports, and a module written with the idioms whose exports the rewrites target.

Raw exports (``do_constant_folding=False``) keep what torch would otherwise fold itself
(BatchNormalization, constant subgraphs); opset 16 decomposes LayerNorm into primitive ops.
"""

import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
zoo = pytest.importorskip("intq.zoo")

import intq  # noqa: E402
from intq.frontends.onnx_import import import_onnx  # noqa: E402
from intq.ir.graph import Graph, is_static  # noqa: E402
from intq.passes import prepare  # noqa: E402
from intq.runtime.executor import run  # noqa: E402
from intq.zoo.base import randomize_norms  # noqa: E402

GONE = {"BatchNormalization", "Gemm", "Identity", "Dropout"}

pytestmark = [pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning"),
              pytest.mark.filterwarnings("ignore:Exporting a model to ONNX:UserWarning")]


def raw_export(model, example, opset: int) -> Graph:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, buffer, input_names=["input"], output_names=["output"],
                          dynamic_axes=model.dynamic_axes(), opset_version=opset, dynamo=False,
                          do_constant_folding=False)
    return import_onnx(buffer.getvalue())


def check_prepare(graph: Graph, model) -> Graph:
    prepared = graph.copy()
    prepare(prepared)
    prepared.validate()
    for batch in (1, 3):
        x = model.example_inputs(batch=batch, seed=batch)[0].numpy()
        for got, want in zip(run(prepared, x), run(graph, x)):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    assert not GONE & set(prepared.op_histogram())
    static_shapes = [n.name for n in prepared.nodes
                     if n.op == "Shape" and is_static(prepared.values[n.inputs[0]].shape)]
    assert static_shapes == []
    return prepared


@pytest.mark.parametrize("name", sorted(zoo.MODELS))
def test_prepare_keeps_every_zoo_model(name):
    model = zoo.build(name)
    graph = intq.from_torch(model, model.example_inputs(), dynamic_axes=model.dynamic_axes()).graph
    check_prepare(graph, model)


@pytest.mark.parametrize("name", ["resnet", "mobilenetv2", "efficientnet_lite", "crnn"])
def test_prepare_folds_batchnorm_of_raw_exports(name):
    model = zoo.build(name)
    graph = raw_export(model, model.example_inputs(), opset=17)
    assert "BatchNormalization" in graph.op_histogram()
    check_prepare(graph, model)


@pytest.mark.parametrize("opset", [16, 17])
def test_transformer_gelu_and_layernorm_become_single_nodes(opset):
    model = zoo.build("transformer")
    depth = len(model.blocks)
    graph = raw_export(model, model.example_inputs(), opset=opset)
    prepared = check_prepare(graph, model).op_histogram()
    assert prepared["Gelu"] == depth
    assert prepared["LayerNormalization"] == 2 * depth + 1
    assert not {"Erf", "Pow", "Sqrt", "Sub", "Div", "Concat"} & set(prepared)


class Idioms(torch.nn.Module):
    """BN after Conv and after Linear, ReLU6, hardtanh, spatial mean, view(n, -1), tanh GELU,
    Dropout, LayerNorm and clamp(min=0)."""

    def __init__(self) -> None:
        super().__init__()
        nn = torch.nn
        self.conv, self.bn = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.fc, self.bn1d = nn.Linear(8 * 4 * 4, 16), nn.BatchNorm1d(16)
        self.drop, self.norm, self.head = nn.Dropout(0.3), nn.LayerNorm(16), nn.Linear(16, 5)
        randomize_norms(self)

    def forward(self, x):
        f = torch.nn.functional
        y = f.hardtanh(f.relu6(self.bn(self.conv(x))), -1.0, 2.0)
        y = y * y.mean((2, 3), keepdim=True)
        y = self.drop(f.gelu(self.bn1d(self.fc(y.view(y.size(0), -1))), approximate="tanh"))
        return self.head(self.norm(y).clamp(min=0))

    def example_inputs(self, batch: int = 2, seed: int = 0):
        return (torch.randn(batch, 3, 4, 4, generator=torch.Generator().manual_seed(seed)),)


@pytest.mark.parametrize("opset", [13, 17])
def test_prepare_reduces_torch_idioms_to_canonical_ops(opset):
    model = Idioms().eval()
    graph = intq.from_torch(model, model.example_inputs(), opset=opset).graph
    prepared = check_prepare(graph, model).op_histogram()
    assert prepared == {"Add": 2, "Clip": 2, "MatMul": 2, "Mul": 2, "Conv": 1, "Gelu": 1,
                        "LayerNormalization": 1, "ReduceSum": 1, "Relu": 1, "Reshape": 1}
