"""Reading an ONNX model, checking it, and lifting old opsets: everything that decides whether
a file is usable at all. Reads only; nothing is ever written."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import onnx
from google.protobuf.message import DecodeError
from onnx import external_data_helper, version_converter

from intq.errors import IntqError, ModelFormatError

LIFT_TO = 13
"""Opset that older models are converted to before import."""

STANDARD_DOMAINS = ("", "ai.onnx")

ModelSource = str | os.PathLike | bytes | onnx.ModelProto


def load_model(model: ModelSource) -> tuple[onnx.ModelProto, str]:
    """The checked ``ModelProto`` with external data loaded, and a label naming it in errors."""
    proto, label = _read(model)
    try:
        onnx.checker.check_model(proto)
    except (onnx.checker.ValidationError, ValueError) as exc:
        raise ModelFormatError(f"{label} fails the ONNX checker: {_first_line(exc)}") from None
    return proto, label


def lift_opset(proto: onnx.ModelProto) -> tuple[onnx.ModelProto, int, int, str | None]:
    """Convert a model older than ``LIFT_TO`` with ``onnx.version_converter``.

    Returns the model, its source opset, the opset it now has and how it was lifted: ``None``
    (not needed), the converter, or ``"native"`` (the converter failed or is known to get the
    model wrong, so the importer's legacy rewrites handle the old forms). The converter turns
    Upsample and Resize-10 into Resize with half-pixel coordinates, which changes results.
    """
    opset = default_opset(proto)
    if opset >= LIFT_TO:
        return proto, opset, opset, None
    ops = {node.op_type for node in proto.graph.node}
    if "Upsample" in ops or ("Resize" in ops and opset < 11):
        return proto, opset, opset, "native"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lifted = version_converter.convert_version(proto, LIFT_TO)
        onnx.checker.check_model(lifted)
    except Exception:  # noqa: BLE001 - any converter failure means: rewrite natively
        return proto, opset, opset, "native"
    return lifted, opset, LIFT_TO, "onnx.version_converter"


def default_opset(proto: onnx.ModelProto) -> int:
    for entry in proto.opset_import:
        if entry.domain in STANDARD_DOMAINS:
            return int(entry.version)
    return onnx.defs.onnx_opset_version()


def _read(model: ModelSource) -> tuple[onnx.ModelProto, str]:
    if isinstance(model, onnx.ModelProto):
        label = f"ONNX model '{model.graph.name}'"
        _reject_external_data(model, label)
        return model, label
    if isinstance(model, (bytes, bytearray, memoryview)):
        label = "the in-memory model"
        proto = _parse(bytes(model), label)
        _reject_external_data(proto, label)
        return proto, label
    if not isinstance(model, (str, os.PathLike)):
        raise IntqError(f"import_onnx takes a path, bytes or onnx.ModelProto, not "
                        f"{type(model).__name__}")
    path = Path(model)
    label = f"'{path}'"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelFormatError(f"cannot read ONNX file {label}: {exc.strerror}") from None
    proto = _parse(data, label)
    try:
        external_data_helper.load_external_data_for_model(proto, str(path.parent))
    except (OSError, ValueError, onnx.checker.ValidationError) as exc:
        raise ModelFormatError(f"{label} references external data that cannot be read "
                               f"({_first_line(exc)}); keep the data file next to the model"
                               ) from None
    return proto, label


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except DecodeError:
        raise ModelFormatError(f"cannot parse {label} as ONNX: the protobuf is truncated or "
                               "corrupt") from None
    return proto


def _reject_external_data(proto: onnx.ModelProto, label: str) -> None:
    tensors = [*proto.graph.initializer,
               *(attr.t for node in proto.graph.node for attr in node.attribute
                 if attr.type == onnx.AttributeProto.TENSOR)]
    for tensor in tensors:
        if external_data_helper.uses_external_data(tensor):
            raise ModelFormatError(f"{label}: tensor '{tensor.name}' is in an external data "
                                   "file; import the model from its path instead")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
