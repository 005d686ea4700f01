"""Every malformed input of the corpus: exit code 2, one line naming the fault, no
traceback, and no output (or temporary file) left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from intq.cli.main import main
from tests.cli.conftest import write_mlp

from .corpus import cases

OUTPUTS = ("out.npy", "out.intq", "out.onnx")


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    onnx_path, intq_path, calib = write_mlp(tmp_path_factory.mktemp("good"))
    return intq_path.read_bytes(), onnx_path.read_bytes(), calib.read_bytes()


CASES = cases(*[b"\x00" * 64] * 3)  # names only; the files are built from `good` per test


def test_the_corpus_has_at_least_60_cases():
    assert len(CASES) >= 60


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_malformed_input_is_one_line_exit_2(good, index, tmp_path, capsys):
    case = cases(*good)[index]
    case.write(tmp_path)
    before = set(tmp_path.iterdir())
    argv = [a.replace("{dir}", str(tmp_path)) for a in case.argv]
    assert main([*argv, "--quiet"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("intq: error:") and len(err.splitlines()) == 1, err
    assert "Traceback" not in captured.err
    assert case.fault.lower() in err.lower(), err
    left = {p.name for p in set(tmp_path.iterdir()) - before}
    assert not left & set(OUTPUTS) and not any(name.endswith(".tmp") for name in left), left
    assert not Path(tmp_path / "out_intq" / "report.md").exists()
