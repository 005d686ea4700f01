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
