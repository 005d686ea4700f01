"""Every checked-in example config runs end to end through ``intq quantize``."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from intq.cli.main import main

from .conftest import CONFIGS

ZOO_CONFIGS = sorted(p for p in CONFIGS.glob("*.toml") if p.stem != "lenet_digits")
"""lenet_digits runs in the shared ``lenet_run`` fixture (conftest) and its tests."""


@pytest.mark.parametrize("config", ZOO_CONFIGS, ids=lambda p: p.stem)
def test_example_config_quantizes_exactly_and_agrees_with_float(config, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["quantize", str(config), "--quiet", "--set", f"output.dir={out}",
                     "--set", "output.plots=false"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert (out / "model.intq").is_file() and (out / "report.md").is_file()
    assert report["batch_invariant"] is True
    if config.stem != "crnn":  # its LSTM stays float (restored), the rest is integer
        assert report["exact"] is True
    agreement = report["metrics"]["agreement"]
    assert agreement["float"] == 100.0
    assert agreement["quantized"] >= 85.0, agreement
