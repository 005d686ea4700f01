"""``intq quantize``: the staged pipeline end to end on LeNet-digits, resuming, overrides, and
one-line errors that leave nothing half-written."""

import json
import os

import numpy as np
import pytest

import intq
from intq.cli.main import main

from .conftest import LENET_CONFIG, one_line_error

STAGES = ["prepare", "split", "calibrate", "quantize", "merge", "evaluate", "compile"]


def quantize(out, *extra):
    return main(["quantize", str(LENET_CONFIG), "--set", f"output.dir={out}", "--quiet", *extra])


def report(out):
    return json.loads((out / "report.json").read_text())


def test_writes_model_report_and_plots(lenet_run):
    out, stdout = lenet_run
    for name in ("model.intq", "report.json", "report.md"):
        assert (out / name).is_file()
    for name in ("sqnr.png", "clipping.png"):
        assert (out / "plots" / name).read_bytes().startswith(b"\x89PNG")
    assert sorted(p.stem for p in (out / "checkpoints").glob("*.json")) == sorted(STAGES)
    data = report(out)
    top1 = data["metrics"]["top1"]
    assert top1["float"] > 90 and abs(top1["quantized"] - top1["float"]) <= 1.5
    assert data["exact"] and data["float_nodes"] == {} and data["batch_invariant"]
    assert 16 <= data["accumulator_bits"] <= 32
    assert data["size_bytes"]["integer"] < data["size_bytes"]["float"] / 2
    layers = {row["tensor"]: row for row in data["layers"]}
    assert "input" in layers and "output" in layers
    assert all(row["sqnr_db"] > 20 and row["cosine"] > 0.99 for row in layers.values())
    assert {row["kind"] for row in data["precision"]} == {"constant", "activation",
                                                          "accumulator"}
    markdown = (out / "report.md").read_text()
    assert "| top1 |" in markdown and "![per-layer SQNR](plots/sqnr.png)" in markdown
    assert "top1" in stdout and "Exact: integer-only" in stdout
    model = intq.load(out / "model.intq")
    assert model.exact


def test_start_evaluate_resumes_from_checkpoints(lenet_copy):
    before = report(lenet_copy)
    kept = {name: os.stat(lenet_copy / "checkpoints" / name).st_mtime_ns
            for name in ("prepared.intq", "observers.safetensors", "merged.intq")}
    (lenet_copy / "report.json").unlink()
    assert quantize(lenet_copy, "--start", "evaluate") == 0
    after = report(lenet_copy)
    assert after["metrics"] == before["metrics"]
    assert after["stages"].keys() == before["stages"].keys()
    for name, mtime in kept.items():
        assert os.stat(lenet_copy / "checkpoints" / name).st_mtime_ns == mtime


def test_set_overrides_and_start_quantize_reuses_calibration(lenet_copy):
    observers = lenet_copy / "checkpoints" / "observers.safetensors"
    mtime = observers.stat().st_mtime_ns
    assert quantize(lenet_copy, "--set", "quantize.weight_bits=4", "--set",
                    "quantize.calibration.method=mse", "--start", "quantize") == 0
    data = report(lenet_copy)
    assert data["config"]["quantize"]["weight_bits"] == 4
    assert data["config"]["quantize"]["calibration"]["method"] == "mse"
    assert observers.stat().st_mtime_ns == mtime
    graph = intq.load(lenet_copy / "model.intq").graph
    weights = [graph.values[n].quant for n in graph.constants
               if graph.values[n].quant is not None and graph.constants[n].dtype == np.int8]
    assert weights and all(q.bits == 4 for q in weights)


def test_resuming_after_a_change_upstream_is_refused(lenet_copy, capsys):
    assert quantize(lenet_copy, "--set", "data.num_samples=100", "--start", "quantize") == 2
    assert "stage 'calibrate'" in one_line_error(capsys)


def test_resuming_without_checkpoints_is_refused(tmp_path, capsys):
    assert quantize(tmp_path / "empty", "--start", "evaluate") == 2
    assert "stage 'prepare' has no checkpoint" in one_line_error(capsys)
    assert not (tmp_path / "empty").exists()


@pytest.mark.parametrize("override, culprit", [
    ("model.pth=x.onnx", "model.pth"),
    ("quantize.wieght_bits=4", "wieght_bits"),
    ("quantize.calibration.metod=mse", "metod"),
    ("evaluate.metric=[\"top1\"]", "evaluate.metric"),
    ("bogus.key=1", "[bogus]"),
    ("output.plots=maybe", "output.plots"),
    ("weight_bits=4", "weight_bits"),
])
def test_bad_keys_are_one_line_errors_and_write_nothing(tmp_path, capsys, override, culprit):
    assert quantize(tmp_path / "out", "--set", override) == 2
    assert culprit in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_missing_data_file_writes_nothing(tmp_path, capsys):
    missing = tmp_path / "calib.npy"
    assert quantize(tmp_path / "out", "--set", f"data.source={missing}") == 2
    assert "data.source" in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_bad_calibration_data_fails_before_any_result(tmp_path, capsys):
    np.save(tmp_path / "calib.npy", np.zeros((4, 3, 8, 8), np.float32))
    assert quantize(tmp_path / "out", "--set", f"data.source={tmp_path / 'calib.npy'}") == 2
    assert "input" in one_line_error(capsys)
    assert not (tmp_path / "out" / "model.intq").exists()
    assert not (tmp_path / "out" / "report.json").exists()


def test_evaluation_data_that_does_not_fit(lenet_copy, tmp_path, capsys):
    np.savez(tmp_path / "eval.npz", input=np.zeros((5, 64), np.float32))
    assert quantize(lenet_copy, "--set", f"evaluate.data={tmp_path / 'eval.npz'}",
                    "--start", "evaluate") == 2
    assert "evaluation data does not fit the model" in one_line_error(capsys)


def test_unwritable_output_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    assert quantize(tmp_path / "file" / "out") == 2
    assert "cannot access" in one_line_error(capsys)


@pytest.mark.parametrize("text, match", [
    ("[model\npath = 1", "not valid TOML"),
    ("[data]\nsource = 'x.npy'\n[output]\ndir = 'o'", "missing section [model]"),
    ("[model]\npath = 3\n[data]\nsource = 'x.npy'\n[output]\ndir = 'o'", "model.path"),
])
def test_malformed_config_files(tmp_path, capsys, text, match):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    assert main(["quantize", str(config)]) == 2
    assert match in one_line_error(capsys)


def test_file_sources_user_metric_and_paths_relative_to_the_config(tmp_path, capsys):
    from intq.zoo.datasets import digits

    data = digits()
    np.save(tmp_path / "calib.npy", data.x_train[:64])
    np.savez(tmp_path / "test.npz", input=data.x_test[:100], labels=data.y_test[:100])
    (tmp_path / "my_metrics.py").write_text(
        "import numpy as np\n\n\ndef error_rate(outputs, labels):\n"
        "    return float(np.mean(outputs[0].argmax(1) != labels))\n")
    model = intq.__file__.replace("__init__.py", "examples/digits_cnn.onnx")
    (tmp_path / "run.toml").write_text(f"""
[model]
path = '{model}'
[data]
source = "calib.npy"
[evaluate]
data = "test.npz"
metrics = ["top1", "my_metrics:error_rate"]
[output]
dir = "out"
plots = false
""")
    assert main(["quantize", str(tmp_path / "run.toml"), "--quiet"]) == 0
    data = report(tmp_path / "out")
    error_rate = data["metrics"]["my_metrics:error_rate"]
    assert error_rate["quantized"] == pytest.approx(1 - data["metrics"]["top1"]["quantized"] / 100)
    assert data["evaluation"]["samples"] == 100
    assert not (tmp_path / "out" / "plots").exists()
    assert "my_metrics:error_rate" in capsys.readouterr().out
