"""``intq demo``: trains, quantizes and compares a digits CNN in well under a minute."""

import time

import pytest

from intq.cli.main import main


def test_demo_prints_float_int8_and_w4a8(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    began = time.perf_counter()
    assert main(["demo", "--quiet"]) == 0
    seconds = time.perf_counter() - began
    captured = capsys.readouterr()
    rows = {line.split()[0]: line.split() for line in captured.out.splitlines() if " KiB" in line}
    accuracy = {name: float(rows[name][1]) for name in ("float32", "int8", "W4A8")}
    assert accuracy["float32"] > 95
    assert abs(accuracy["int8"] - accuracy["float32"]) <= 1.0
    assert accuracy["float32"] - accuracy["W4A8"] <= 3.0
    assert "int8 is exact" in captured.out
    assert captured.err == ""
    assert seconds < 60
