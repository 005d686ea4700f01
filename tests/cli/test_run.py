"""``intq run``: integer inference from .npy files, float or raw integer outputs."""

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import intq
from intq.cli.main import main
from intq.runtime.executor import execute

from .conftest import one_line_error


@pytest.fixture(scope="module")
def digits_inputs(lenet_run, tmp_path_factory):
    from intq.zoo.datasets import digits

    path = tmp_path_factory.mktemp("inputs") / "x.npy"
    np.save(path, digits().x_test[:40])
    return lenet_run[0] / "model.intq", path


def test_float_and_raw_outputs_match_the_model(digits_inputs, tmp_path):
    model_path, x_path = digits_inputs
    model, x = intq.load(model_path), np.load(x_path)
    assert main(["run", str(model_path), str(x_path), "-o", str(tmp_path / "y.npy")]) == 0
    assert main(["run", str(model_path), str(x_path), "-o", str(tmp_path / "raw.npy"),
                 "--raw-outputs"]) == 0
    y, raw = np.load(tmp_path / "y.npy"), np.load(tmp_path / "raw.npy")
    assert y.tobytes() == model.run(x)[0].tobytes()
    quantize_node = model.graph.nodes[0]
    assert quantize_node.op == "Quantize"
    x_int = execute(model.graph, {"input": x}, outputs=quantize_node.outputs)
    want = model.run_int(x_int[quantize_node.outputs[0]])[0]
    assert raw.dtype == want.dtype and raw.tobytes() == want.tobytes()


def _two_output_model(path):
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.normal(size=(4, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["scores"]),
         helper.make_node("Relu", ["scores"], ["positive"])], "two",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("positive", TensorProto.FLOAT, ["N", 3])], [weight])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              path / "two.onnx")
    calib = rng.normal(size=(64, 4)).astype(np.float32)
    intq.quantize(intq.load_onnx(path / "two.onnx"), calib, progress=False).save(
        path / "two.intq")
    np.save(path / "x.npy", calib[:5])
    return path / "two.intq", path / "x.npy"


def test_several_outputs_go_to_npz(tmp_path, capsys):
    model_path, x_path = _two_output_model(tmp_path)
    assert main(["run", str(model_path), str(x_path), "-o", str(tmp_path / "y.npz")]) == 0
    want = intq.load(model_path).run(np.load(x_path))
    with np.load(tmp_path / "y.npz") as got:
        assert sorted(got.files) == ["positive", "scores"]
        assert got["scores"].tobytes() == want[0].tobytes()
        assert got["positive"].tobytes() == want[1].tobytes()
    assert main(["run", str(model_path), str(x_path), "-o", str(tmp_path / "y.npy")]) == 2
    assert ".npz" in one_line_error(capsys)
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.parametrize("args, match", [
    (["{x}", "{x}"], "2"),
    (["{missing}"], "does not exist"),
    (["{model}"], "not a .npy"),
])
def test_bad_inputs_are_one_line_errors(digits_inputs, tmp_path, capsys, args, match):
    model_path, x_path = digits_inputs
    names = {"x": x_path, "missing": tmp_path / "none.npy", "model": model_path}
    argv = ["run", str(model_path), *[a.format(**names) for a in args],
            "-o", str(tmp_path / "y.npy")]
    assert main(argv) == 2
    assert match in one_line_error(capsys)
    assert not (tmp_path / "y.npy").exists()


def test_console_script_runs_a_model(digits_inputs, tmp_path):
    model_path, x_path = digits_inputs
    done = subprocess.run([sys.executable, "-m", "intq", "run", str(model_path), str(x_path),
                           "-o", str(tmp_path / "y.npy")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert np.load(tmp_path / "y.npy").shape == (40, 10)


def test_fixed_batch_one_model_runs_many_samples(tmp_path):
    """A model declaring batch 1 with a state input: ``intq run`` cuts the samples into
    runs of 1, feeds the state whole to each, and joins the outputs (``runtime.batching``)."""
    from tests.runtime.test_batching import vad_like

    model = vad_like(tmp_path)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    state = np.zeros((2, 1, 3), np.float32)
    q = intq.quantize(model, (x, state), progress=False)
    q.save(tmp_path / "m.intq")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "s.npy", state)
    for flags in ([], ["--raw-outputs"]):
        out = tmp_path / "out.npz"
        assert main(["run", str(tmp_path / "m.intq"), str(tmp_path / "x.npy"),
                     str(tmp_path / "s.npy"), "-o", str(out), *flags]) == 0
        with np.load(out) as got:
            want = (q.run_raw_outputs if flags else q.run)(x, state)
            assert got["y"].tobytes() == want[0].tobytes()
            assert got["state_out"].shape == (2, 5, 3)
