"""``run_pipeline`` through the Python API: stages in order, float parts, ONNX output."""

import json

import numpy as np
import pytest

from intq.pipeline import STAGES, load_config, run_pipeline
from intq.pipeline.errors import PipelineConfigError

from .quantized_digits import EXAMPLE, inputs


@pytest.fixture
def config_file(tmp_path):
    np.save(tmp_path / "calib.npy", inputs(64, seed=1))
    np.savez(tmp_path / "eval.npz", input=inputs(32, seed=2), labels=np.arange(32) % 10)
    path = tmp_path / "run.toml"
    path.write_text(f"""
[model]
path = '{EXAMPLE}'
[data]
source = "calib.npy"
[quantize]
restore_ops = ["MaxPool"]
[evaluate]
data = "eval.npz"
layer_samples = 8
[output]
dir = "out"
plots = false
onnx = "int"
""")
    return path


def test_stages_run_in_order_and_report_the_float_part(config_file):
    lines = []
    report = run_pipeline(load_config(config_file), progress=False, log=lines.append)
    assert lines == [f"[{i}/7] {stage}" for i, stage in enumerate(STAGES, start=1)]
    out = config_file.parent / "out"
    assert json.loads((out / "report.json").read_text()) == report
    assert not report["exact"] and len(report["float_nodes"]) == 2
    assert set(report["float_nodes"].values()) == {"restore_ops"}
    assert report["files"]["onnx"] == "model.onnx" and (out / "model.onnx").is_file()
    split = json.loads((out / "checkpoints" / "split.json").read_text())
    assert len(split["data"]["float_nodes"]) == 2
    floats = [row for row in report["layers"] if not row["integer"]]
    assert {row["op"] for row in floats} == {"MaxPool"}
    assert "Partly float: 2 node(s)" in (out / "report.md").read_text()
    cost = report["cost"]
    assert cost["quantized"]["int_macs"] == cost["float"]["float_macs"] > 0
    assert cost["quantized"]["float_nodes"] == 2 and cost["quantized"]["float_flops"] > 0
    maxpools = [n for n in cost["quantized"]["nodes"] if n["op"] == "MaxPool"]
    assert {n["domain"] for n in maxpools} == {"float"}
    assert "## Cost" in (out / "report.md").read_text()


def test_unknown_start_stage(config_file):
    with pytest.raises(PipelineConfigError, match="'calibration' is no stage"):
        run_pipeline(load_config(config_file), start="calibration")
