"""``OnnxIsland``: an ONNX node intq has no float reference for, run by ONNX Runtime.

The importer turns a node it cannot express in the IR (an op type outside the registry, such as
GridSample, or an attribute form the float reference lacks) into one ``OnnxIsland`` node instead
of refusing the model. The node carries the original ONNX ``NodeProto``, serialized and base64
encoded in the ``node`` attribute (a plain string: the ``.intq`` file stays JSON + safetensors,
no pickle), with its inputs and outputs renamed ``in0..``/``out0..`` so that the IR node's
positions alone wire it. It is evaluated by a one-node ONNX model in ONNX Runtime (one cached
session per node, input dtypes and ranks), always stays in float in quantized models, and is
exported back as the node it was. Without onnxruntime only these nodes fail, with a one-line
error naming the node.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper

from intq.errors import MissingDependencyError, UnsupportedOpError
from intq.ir.graph import Dim, TensorType
from intq.ops.registry import REQUIRED, OpDef, infer_by_probing, register

ISLAND_OP = "OnnxIsland"

CUT_ADVICE = ("cut the model before it (onnx.utils.extract_model) and quantize that part, or "
              "re-export the model without it")
"""What a user can do about a node that neither intq nor ONNX Runtime can run (control flow,
model-local functions, ops of unknown domains)."""


def encode_node(proto: onnx.NodeProto, num_outputs: int) -> str:
    """``proto`` with positional names (``""`` kept for omitted optional inputs) and only its
    first ``num_outputs`` outputs, as the base64 string the ``node`` attribute holds."""
    node = onnx.NodeProto()
    node.CopyFrom(proto)
    names = [f"in{i}" if name else "" for i, name in enumerate(proto.input)]
    del node.input[:]
    node.input.extend(names)
    del node.output[:]
    node.output.extend(f"out{i}" for i in range(num_outputs))
    return base64.b64encode(node.SerializeToString()).decode("ascii")


def decode_node(attrs: dict[str, Any]) -> onnx.NodeProto:
    """The ``NodeProto`` an island carries (names positional, see ``encode_node``)."""
    node = onnx.NodeProto()
    node.ParseFromString(base64.b64decode(attrs["node"].encode("ascii"), validate=True))
    return node


def opset_imports(attrs: dict[str, Any]) -> list[onnx.OperatorSetIdProto]:
    opsets = [helper.make_opsetid("", attrs["opset"])]
    if attrs["domain"] not in ("", "ai.onnx"):
        opsets.append(helper.make_opsetid(attrs["domain"], attrs["domain_version"]))
    return opsets


def one_node_model(attrs: dict[str, Any], inputs: Sequence[TensorType | None],
                   consts: Sequence[np.ndarray | None] = ()) -> onnx.ModelProto:
    """The island as a model of its own: typed inputs ``in<i>`` (symbolic or ``"?"`` dims
    become unknown ONNX dims), known constants as initializers, outputs untyped."""
    node = decode_node(attrs)
    infos, initializers = [], []
    for i, t in enumerate(inputs):
        if t is None:
            continue
        const = consts[i] if i < len(consts) else None
        if const is not None:
            initializers.append(onnx.numpy_helper.from_array(np.asarray(const), f"in{i}"))
            continue
        dims = None if t.shape is None else [d if isinstance(d, int) or d != "?" else None
                                             for d in t.shape]
        infos.append(helper.make_tensor_value_info(
            f"in{i}", helper.np_dtype_to_tensor_dtype(np.dtype(t.dtype)), dims))
    outputs = [helper.make_empty_tensor_value_info(name) for name in node.output]
    graph = helper.make_graph([node], f"{ISLAND_OP}_{node.op_type}", infos, outputs,
                              initializers)
    opsets = opset_imports(attrs)
    return helper.make_model(graph, opset_imports=opsets,
                             ir_version=helper.find_min_ir_version_for(opsets, True))


@functools.lru_cache(maxsize=256)
def _session(node: str, opset: int, domain: str, domain_version: int,
             signature: tuple[tuple[str, int | None], ...], label: str) -> Any:
    """One ONNX Runtime session per island and input signature (dtype, rank)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise MissingDependencyError(
            f"node {label} runs in ONNX Runtime (intq has no float reference for it); "
            "pip install onnxruntime") from None
    attrs = {"node": node, "opset": opset, "domain": domain, "domain_version": domain_version}
    types = [None if dtype == "" else TensorType(None if rank is None else ("?",) * rank, dtype)
             for dtype, rank in signature]
    model = one_node_model(attrs, types)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(model.SerializeToString(), options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - ORT's own message says what it rejects
        raise UnsupportedOpError(f"node {label} is not supported by intq, which would run it in "
                                 f"ONNX Runtime, but ONNX Runtime rejects it too "
                                 f"({str(exc).splitlines()[0]}); {CUT_ADVICE}") from None


@register
class OnnxIsland(OpDef):
    """A float island: ``node`` (base64 ``NodeProto``), the model's default ``opset``, the op's
    ``domain`` and ``domain_version``, the ``op_type`` (for restore_ops and reports) and the
    ``reason`` the importer could not express it in the IR."""

    op_type = ISLAND_OP
    attrs = {"node": REQUIRED, "op_type": REQUIRED, "opset": REQUIRED, "domain": "",
             "domain_version": 0, "reason": ""}

    def evaluate(self, attrs: dict[str, Any], *inputs: np.ndarray | None) -> list[np.ndarray]:
        signature = tuple(("", None) if x is None else (np.asarray(x).dtype.name, np.ndim(x))
                          for x in inputs)
        session = _session(attrs["node"], attrs["opset"], attrs["domain"],
                           attrs["domain_version"], signature, _label(attrs["node"]))
        feeds = {f"in{i}": np.asarray(x) for i, x in enumerate(inputs) if x is not None}
        return [np.asarray(out) for out in session.run(None, feeds)]

    def infer(self, attrs: dict[str, Any], types: Sequence[TensorType | None],
              consts: Sequence[np.ndarray | None]) -> list[TensorType]:
        """ONNX's shape inference on the one-node model (no ONNX Runtime needed); where it
        leaves a type or shape unknown (contrib ops ONNX has no schema for), probing by
        running the node in ONNX Runtime, which must then accept it."""
        inferred = _onnx_inferred(attrs, types, consts)
        if inferred is not None and all(t.shape is not None and "?" not in t.shape
                                        for t in inferred):
            return inferred
        signature = tuple(("", None) if t is None else
                          (t.dtype, None if t.shape is None else len(t.shape)) for t in types)
        try:
            _session(attrs["node"], attrs["opset"], attrs["domain"], attrs["domain_version"],
                     signature, label(attrs))
        except MissingDependencyError:
            if inferred is None:
                raise
            return inferred
        probed = infer_by_probing(self, attrs, types, consts)
        if inferred is None or all(t.shape is not None for t in probed):
            return probed
        return inferred


def label(attrs: dict[str, Any]) -> str:
    """How errors name an island: its original node name and op type."""
    return _label(attrs["node"])


@functools.lru_cache(maxsize=256)
def _label(node: str) -> str:
    proto = decode_node({"node": node})
    domain = f"{proto.domain}." if proto.domain not in ("", "ai.onnx") else ""
    return f"'{proto.name}' ({domain}{proto.op_type})"


def _onnx_inferred(attrs: dict[str, Any], types: Sequence[TensorType | None],
                   consts: Sequence[np.ndarray | None]) -> list[TensorType] | None:
    """Output types by ONNX's shape inference, or None where it cannot type every output."""
    model = one_node_model(attrs, types, consts)
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    except Exception:  # noqa: BLE001 - no schema (contrib op) or a rejection: ORT decides
        return None
    out = []
    for info in model.graph.output:
        tensor = info.type.tensor_type
        if not tensor.elem_type:
            return None
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)).name
        shape: tuple[Dim, ...] | None = None
        if tensor.HasField("shape"):
            shape = tuple(int(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
                          for d in tensor.shape.dim)
        out.append(TensorType(shape, dtype))
    return out


def source_op_type(node: Any) -> str:
    """The op type a node had in its source model: an island's carried one, else its own."""
    return node.attrs["op_type"] if node.op == ISLAND_OP else node.op
