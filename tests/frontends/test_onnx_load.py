"""Files that are not usable ONNX raise ModelFormatError with one line naming the file."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from frontends.onnx_models import assert_import_fails, make, tensor
from intq.errors import IntqError, ModelFormatError


def _relu_model() -> onnx.ModelProto:
    return make([helper.make_node("Relu", ["x"], ["y"])], [tensor("x", ["N", 4])], ["y"])


@pytest.fixture
def model_file(tmp_path):
    def write(data: bytes, name: str = "model.onnx"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def test_missing_file(tmp_path):
    path = tmp_path / "absent.onnx"
    assert_import_fails(ModelFormatError, path, str(path), "cannot read")


@pytest.mark.parametrize("data", [b"this is a text file, not a model\n", b"",
                                  b"\x08\x07\x12\xff\xff\xff\xff\x0f"])
def test_not_onnx(data, model_file):
    path = model_file(data)
    assert_import_fails(ModelFormatError, path, str(path))


def test_truncated_file(model_file):
    data = _relu_model().SerializeToString()
    path = model_file(data[: len(data) * 2 // 3])
    assert_import_fails(ModelFormatError, path, str(path))
    assert_import_fails(ModelFormatError, data[: len(data) * 2 // 3], "in-memory model")


def test_corrupt_protobuf(model_file):
    data = bytearray(_relu_model().SerializeToString())
    data[4:12] = b"\xff" * 8
    path = model_file(bytes(data))
    assert_import_fails(ModelFormatError, path, str(path))


def test_graph_failing_the_checker(model_file):
    model = _relu_model()
    model.graph.node[0].op_type = "NoSuchOp"
    path = model_file(model.SerializeToString())
    assert_import_fails(ModelFormatError, path, str(path), "fails the ONNX checker")


def test_missing_external_data(tmp_path):
    path = tmp_path / "ext.onnx"
    model = make([helper.make_node("Add", ["x", "w"], ["y"])], [tensor("x", [2, 3])], ["y"],
                 {"w": np.ones((2, 3), np.float32)})
    onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
              location="ext.data", size_threshold=0)
    data = path.read_bytes()
    (tmp_path / "ext.data").unlink()
    assert_import_fails(ModelFormatError, path, str(path), "external data")
    assert_import_fails(ModelFormatError, data, "external data", "'w'")


def test_not_a_model_source():
    assert_import_fails(IntqError, 42, "int")
