"""The command line on a model with an ONNX Runtime island (GridSample between convs):
quantize with defaults, inspect names the float node, run, and export bit-identically."""

from __future__ import annotations

import numpy as np
import onnx

from intq.cli.main import main
from conftest import run_ort
from quantize.island_models import grid_sample_between_convs, images


def test_quantize_inspect_run_export(tmp_path, capsys):
    onnx.save(grid_sample_between_convs(), tmp_path / "st.onnx")
    np.save(tmp_path / "calib.npy", images(32, 1))
    np.save(tmp_path / "x.npy", images(6, 2))
    model = tmp_path / "st.intq"
    assert main(["quantize", str(tmp_path / "st.onnx"), "--calib", str(tmp_path / "calib.npy"),
                 "-o", str(model), "--quiet"]) == 0
    report = (tmp_path / "st_intq" / "report.md").read_text()
    assert "`sample` (runs in ONNX Runtime: intq has no float reference for GridSample)" in report
    capsys.readouterr()
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "exact: no, 1 node(s) in float" in out and "ONNX Runtime islands (1 node" in out
    assert main(["run", str(model), str(tmp_path / "x.npy"), "-o", str(tmp_path / "y.npy")]) == 0
    assert main(["export", str(model), "-o", str(tmp_path / "e.onnx")]) == 0
    exported = (tmp_path / "e.onnx").read_bytes()
    np.testing.assert_array_equal(run_ort(exported, np.load(tmp_path / "x.npy"))[0],
                                  np.load(tmp_path / "y.npy"))
