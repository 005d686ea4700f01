"""``intq run`` / ``intq inspect`` / ``intq export`` on damaged .intq files: exit code 2 and one
line naming the file and what is wrong, before anything runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import intq
from intq.cli.main import main

from .conftest import one_line_error


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    """A two-layer MLP quantized from ONNX, saved; with an input file."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(size=(4, 6)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(size=(6, 3)).astype(np.float32), "w2")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"])], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], [w1, w2])
    path = tmp_path_factory.mktemp("small")
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              path / "mlp.onnx")
    calib = rng.normal(size=(64, 4)).astype(np.float32)
    intq.quantize(intq.load_onnx(path / "mlp.onnx"), calib, progress=False).save(
        path / "mlp.intq")
    np.save(path / "x.npy", calib[:3])
    return (path / "mlp.intq").read_bytes(), path / "x.npy"


def _edit(data: bytes, edit) -> bytes:
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    doc = json.loads(header["__metadata__"]["intq_graph"])
    edit(doc)
    header["__metadata__"]["intq_graph"] = json.dumps(doc)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + data[8 + n:]


def _unknown_op(doc):
    next(n for n in doc["nodes"] if n["op"] == "IntMatMul")["op"] = "EvalPython"


def _cycle(doc):
    doc["nodes"][1]["inputs"][0] = doc["nodes"][-1]["outputs"][0]


CORRUPTIONS = [
    ("truncated", lambda d: d[:len(d) // 3], "exceeds the file size"),
    ("header length lie", lambda d: (2**40).to_bytes(8, "little") + d[8:],
     "header length 1099511627776 exceeds the file size"),
    ("bad JSON", lambda d: d[:8] + b"}" + d[9:], "safetensors header is not valid JSON"),
    ("wrong version", lambda d: _edit(d, lambda doc: doc.update(version=7)),
     "unsupported intq format version 7"),
    ("unknown op", lambda d: _edit(d, _unknown_op), "unknown op type 'EvalPython'"),
    ("cycle", lambda d: _edit(d, _cycle), "nodes form a cycle"),
]


@pytest.mark.parametrize("case, corrupt, match", CORRUPTIONS, ids=[c[0] for c in CORRUPTIONS])
@pytest.mark.parametrize("command", ["run", "inspect", "export"])
def test_corrupt_model_is_a_one_line_error(small_model, tmp_path, capsys, command, case,
                                           corrupt, match):
    data, x_path = small_model
    model = tmp_path / "bad.intq"
    model.write_bytes(corrupt(data))
    argv = {"run": ["run", str(model), str(x_path), "-o", str(tmp_path / "y.npy")],
            "inspect": ["inspect", str(model)],
            "export": ["export", str(model), "-o", str(tmp_path / "m.onnx")]}[command]
    assert main(argv) == 2
    err = one_line_error(capsys)
    assert f"'{model}'" in err and match in err, err
    assert not (tmp_path / "y.npy").exists() and not (tmp_path / "m.onnx").exists()


def test_valid_small_model_still_runs_and_inspects(small_model, tmp_path, capsys):
    data, x_path = small_model
    model = tmp_path / "ok.intq"
    model.write_bytes(data)
    assert main(["run", str(model), str(x_path), "-o", str(tmp_path / "y.npy")]) == 0
    assert np.load(tmp_path / "y.npy").shape == (3, 3)
    assert main(["inspect", str(model)]) == 0
    assert "exact: yes" in capsys.readouterr().out
