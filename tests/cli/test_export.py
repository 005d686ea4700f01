"""``intq export``: the integer ONNX runs in ONNX Runtime bit-identically to ``intq run``."""

import numpy as np
import pytest

from intq.cli.main import main

from .conftest import one_line_error

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def model_and_input(lenet_run, tmp_path_factory):
    from intq.zoo.datasets import digits

    path = tmp_path_factory.mktemp("export") / "x.npy"
    np.save(path, digits().x_test[:64])
    return lenet_run[0] / "model.intq", path


@pytest.mark.parametrize("raw", [False, True])
def test_int_export_matches_intq_run(model_and_input, tmp_path, raw, capsys):
    model, x_path = model_and_input
    export_flag, run_flag = (["--raw"], ["--raw-outputs"]) if raw else ([], [])
    assert main(["export", str(model), "-o", str(tmp_path / "m.onnx"), *export_flag]) == 0
    assert "bit for bit" in capsys.readouterr().out
    assert main(["run", str(model), str(x_path), "-o", str(tmp_path / "y.npy"), *run_flag]) == 0
    session = ort.InferenceSession(str(tmp_path / "m.onnx"),
                                   providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": np.load(x_path)})[0]
    want = np.load(tmp_path / "y.npy")
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_qdq_export_says_it_is_not_exact(model_and_input, tmp_path, capsys):
    model, _ = model_and_input
    assert main(["export", str(model), "-o", str(tmp_path / "m.onnx"), "--format", "qdq"]) == 0
    assert "not bit-exact" in capsys.readouterr().out
    assert (tmp_path / "m.onnx").stat().st_size > 0


@pytest.mark.parametrize("extra, match", [
    (["--format", "qdq", "--raw"], "raw"),
    (["-o", "/nonexistent-dir/m.onnx"], "does not exist"),
])
def test_export_errors(model_and_input, tmp_path, capsys, extra, match):
    model, _ = model_and_input
    argv = ["export", str(model), "-o", str(tmp_path / "m.onnx"), *extra]
    assert main(argv) == 2
    assert match in one_line_error(capsys)
