"""One end-to-end ``intq quantize`` run of the LeNet-digits config, shared by the CLI tests
(each test that changes it works on a copy)."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest

from intq.cli.main import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
LENET_CONFIG = CONFIGS / "lenet_digits.toml"


@pytest.fixture(scope="session")
def lenet_run(tmp_path_factory):
    """``(output dir, stdout)`` of ``intq quantize configs/lenet_digits.toml --quiet``."""
    pytest.importorskip("sklearn")
    out = tmp_path_factory.mktemp("lenet_run") / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["quantize", str(LENET_CONFIG), "--set", f"output.dir={out}", "--quiet"])
    assert code == 0
    return out, stdout.getvalue()


@pytest.fixture
def lenet_copy(lenet_run, tmp_path):
    """A private copy of the shared run's output dir (checkpoints included)."""
    out = tmp_path / "out"
    shutil.copytree(lenet_run[0], out)
    return out


def one_line_error(capsys) -> str:
    """The single stderr line of a failed command (asserted to be one line)."""
    err = capsys.readouterr().err.strip()
    assert err.startswith("intq: error:") and len(err.splitlines()) == 1, err
    return err


def write_mlp(folder: Path) -> tuple[Path, Path, Path]:
    """A two-layer MLP as ONNX, quantized to .intq, and 64 calibration samples: paths."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    import intq

    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.normal(size=(4, 6)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.normal(size=(6, 3)).astype(np.float32), "w2")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"])], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], [w1, w2])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              folder / "mlp.onnx")
    calib = rng.normal(size=(64, 4)).astype(np.float32)
    np.save(folder / "calib.npy", calib)
    intq.quantize(intq.load_onnx(folder / "mlp.onnx"), calib, progress=False).save(
        folder / "mlp.intq")
    return folder / "mlp.onnx", folder / "mlp.intq", folder / "calib.npy"


@pytest.fixture(scope="session")
def mlp(tmp_path_factory):
    """``(mlp.onnx, mlp.intq, calib.npy)`` of a small MLP (read-only: copy to change)."""
    return write_mlp(tmp_path_factory.mktemp("mlp"))
