"""The op catalog: every op the importer may emit is registered with a JSON-only schema."""

import json

import pytest

from intq.ops import get_op, registered_ops
from intq.ops.registry import REQUIRED, normalize_attrs

REQUIRED_OPS = """
Conv ConvTranspose Gemm MatMul BatchNormalization Relu Clip LeakyRelu PRelu Elu Selu Sigmoid
Tanh HardSigmoid HardSwish Softplus Erf Gelu Mish Softmax LogSoftmax LayerNormalization Add Sub
Mul Div Pow Sqrt Exp Log Neg Abs Reciprocal Floor Ceil Round Sign Min Max Sum Mean Equal Less
Greater LessOrEqual GreaterOrEqual Not And Or Where MaxPool AveragePool GlobalAveragePool
GlobalMaxPool Flatten Reshape Transpose Concat Split Slice Gather GatherElements Unsqueeze
Squeeze Expand Tile Pad Resize ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL2
ArgMax Cast CastLike Identity Dropout Shape Size ConstantOfShape Range Einsum TopK LSTM GRU
""".split()


def test_required_ops_are_registered():
    missing = sorted(set(REQUIRED_OPS) - set(registered_ops()))
    assert not missing


@pytest.mark.parametrize("op", registered_ops())
def test_attribute_defaults_are_json(op):
    opdef = get_op(op)
    assert opdef.op_type == op
    for name, default in opdef.attrs.items():
        if default is REQUIRED:
            continue
        if callable(default):
            default = default({"kernel_shape": [3, 3]})
        assert json.loads(json.dumps(default)) == default, name


@pytest.mark.parametrize("op", ["Conv", "ConvTranspose", "MaxPool", "AveragePool"])
def test_windowed_ops_have_no_auto_pad(op):
    assert "auto_pad" not in get_op(op).attrs
    assert get_op(op).attrs["kernel_shape"] is REQUIRED


def test_normalized_list_defaults_are_fresh_copies():
    first = normalize_attrs("Transpose", {})
    first["perm"].append(1)
    assert normalize_attrs("Transpose", {})["perm"] == []
