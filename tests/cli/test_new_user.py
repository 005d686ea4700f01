"""What a new user trips over (issue 14): files that are not .intq models, NaN/Inf and
integer inputs, missing extras, file modes, global flags, --set blame, --help examples."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import intq
from intq.cli.main import build_parser, main

from .conftest import one_line_error

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.mark.parametrize("argv", [["--quiet", "quantize", "m.onnx"],
                                  ["quantize", "m.onnx", "--quiet"],
                                  ["--debug", "run", "m.intq", "x.npy", "-o", "y.npy"],
                                  ["run", "m.intq", "x.npy", "-o", "y.npy", "--debug"]])
def test_global_flags_before_and_after_the_subcommand(argv):
    args = build_parser().parse_args(argv)
    flag = "quiet" if "--quiet" in argv else "debug"
    assert getattr(args, flag) is True


@pytest.mark.parametrize("command", ["demo", "quantize", "run", "inspect", "export"])
def test_every_help_shows_an_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "example" in out and f"intq {command}" in out


def test_run_on_an_onnx_model_says_quantize_it_first(mlp, tmp_path, capsys):
    onnx_path, _, calib = mlp
    assert main(["run", str(onnx_path), str(calib), "-o", str(tmp_path / "y.npy")]) == 2
    err = one_line_error(capsys)
    assert "is an ONNX model" in err and f"intq quantize {onnx_path} --calib" in err


@pytest.mark.parametrize("command", ["run", "export", "inspect"])
@pytest.mark.parametrize("content,kind", [
    (b"", "empty"), (b"[model]\npath = 'm.onnx'\n", "TOML"), (b"hello\n", "text file"),
    (None, ".npy array")])
def test_non_intq_files_are_named(command, content, kind, tmp_path, capsys):
    path = tmp_path / "thing.intq"
    if content is None:
        np.save(tmp_path / "a.npy", np.zeros(3))
        path = tmp_path / "a.npy"
    else:
        path.write_bytes(content)
    argv = {"run": ["run", str(path), str(path), "-o", str(tmp_path / "y.npy")],
            "export": ["export", str(path), "-o", str(tmp_path / "m.onnx")],
            "inspect": ["inspect", str(path)]}[command]
    assert main(argv) == 2
    assert kind in one_line_error(capsys)
    assert not (tmp_path / "y.npy").exists() and not (tmp_path / "m.onnx").exists()


def test_inspect_accepts_onnx(mlp, capsys):
    assert main(["inspect", str(mlp[0])]) == 0
    assert "MatMul" in capsys.readouterr().out


def test_safetensors_weights_are_told_apart(tmp_path, capsys):
    from safetensors.numpy import save_file

    save_file({"w": np.zeros(3, np.float32)}, str(tmp_path / "model.safetensors"))
    assert main(["run", str(tmp_path / "model.safetensors"), "x.npy", "-o",
                 str(tmp_path / "y.npy")]) == 2
    assert "safetensors" in one_line_error(capsys)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_input_names_input_and_index(mlp, tmp_path, capsys, value):
    x = np.zeros((3, 4), np.float32)
    x[2, 1] = value
    np.save(tmp_path / "x.npy", x)
    assert main(["run", str(mlp[1]), str(tmp_path / "x.npy"), "-o",
                 str(tmp_path / "y.npy")]) == 2
    err = one_line_error(capsys)
    assert "input 'x'" in err and "(2, 1)" in err
    assert not (tmp_path / "y.npy").exists()


def test_raw_means_integers_in_and_out(mlp, tmp_path):
    model = intq.load(mlp[1])
    x = np.load(mlp[2])[:5]
    q = model.quantize_inputs(x)[0]
    np.save(tmp_path / "q.npy", q)
    assert main(["run", str(mlp[1]), str(tmp_path / "q.npy"), "-o", str(tmp_path / "r.npy"),
                 "--raw"]) == 0
    want = model.run_int(q)[0]
    got = np.load(tmp_path / "r.npy")
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_raw_refuses_floats_and_integers_off_the_grid(mlp, tmp_path, capsys):
    np.save(tmp_path / "f.npy", np.zeros((2, 4), np.float32))
    np.save(tmp_path / "i.npy", np.full((2, 4), 1000, np.int32))
    for name, fault in (("f.npy", "takes integers"), ("i.npy", "outside its 8-bit grid")):
        assert main(["run", str(mlp[1]), str(tmp_path / name), "-o", str(tmp_path / "r.npy"),
                     "--raw"]) == 2
        assert fault in one_line_error(capsys)
    assert not (tmp_path / "r.npy").exists()


def test_integers_that_would_saturate_as_floats_are_refused(mlp, tmp_path, capsys):
    np.save(tmp_path / "big.npy", np.full((2, 4), 200, np.int64))
    np.save(tmp_path / "small.npy", np.ones((2, 4), np.int64))
    assert main(["run", str(mlp[1]), str(tmp_path / "big.npy"), "-o",
                 str(tmp_path / "y.npy")]) == 2
    assert "would saturate" in one_line_error(capsys)
    assert main(["run", str(mlp[1]), str(tmp_path / "small.npy"), "-o",
                 str(tmp_path / "y.npy")]) == 0
    assert np.load(tmp_path / "y.npy").tobytes() == intq.load(mlp[1]).run(
        np.ones((2, 4), np.float32))[0].tobytes()


def test_quantize_onnx_with_calib_writes_model_beside_it(mlp, tmp_path, capsys):
    onnx_path = tmp_path / "net.onnx"
    onnx_path.write_bytes(mlp[0].read_bytes())
    old = os.umask(0o022)
    try:
        assert main(["quantize", str(onnx_path), "--calib", str(mlp[2]), "--quiet"]) == 0
    finally:
        os.umask(old)
    model = tmp_path / "net.intq"
    assert intq.load(model).run(np.load(mlp[2]))[0].shape == (64, 3)
    for path in (model, tmp_path / "net_intq" / "report.md",
                 tmp_path / "net_intq" / "report.json"):
        assert path.stat().st_mode & 0o777 == 0o644, path


def test_quantize_onnx_with_npz_and_output(mlp, tmp_path):
    np.savez(tmp_path / "calib.npz", x=np.load(mlp[2]))
    out = tmp_path / "sub" / "out.intq"
    (tmp_path / "sub").mkdir()
    assert main(["quantize", str(mlp[0]), "--calib", str(tmp_path / "calib.npz"), "-o",
                 str(out), "--quiet", "--set", "output.plots=false"]) == 0
    assert out.is_file() and (tmp_path / "sub" / "out_intq" / "report.md").is_file()


def test_quantize_onnx_without_calib(mlp, capsys):
    assert main(["quantize", str(mlp[0])]) == 2
    assert "--calib data.npy" in one_line_error(capsys)


def test_bad_set_is_blamed_on_the_set_not_the_toml(tmp_path, capsys):
    from .conftest import LENET_CONFIG

    assert main(["quantize", str(LENET_CONFIG), "--set", "quantize.weight_bits=banana",
                 "--set", f"output.dir={tmp_path}"]) == 2
    err = one_line_error(capsys)
    assert "--set 'quantize.weight_bits=banana'" in err and ".toml" not in err


def test_written_files_follow_the_umask(tmp_path):
    from intq.ir.serialize import write_atomic

    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "f.bin", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o640


def test_from_torch_names_missing_onnxscript(monkeypatch):
    torch = pytest.importorskip("torch")

    def export(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'onnxscript'", name="onnxscript")

    monkeypatch.setattr(torch.onnx, "export", export)
    with pytest.raises(intq.IntqError, match="pip install onnxscript"):
        intq.from_torch(torch.nn.Linear(2, 2), (torch.zeros(1, 2),))


HIDE = """
import sys, importlib.abc
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {hidden!r}:
            raise ModuleNotFoundError(f"No module named '{{name}}'", name=name)
sys.meta_path.insert(0, Hide())
from intq.cli.main import main
sys.exit(main({argv!r}))
"""


def _hidden(modules, argv, cwd):
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", HIDE.format(hidden=set(modules), argv=argv)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


OPTIONAL = ["matplotlib", "onnxruntime", "torch", "numba", "sklearn"]


def test_quantize_without_any_optional_dependency(mlp, tmp_path):
    """Nothing optional importable: the model and report are written, plots are skipped with
    the pip line, and run/inspect/export still work."""
    result = _hidden(OPTIONAL, ["quantize", str(mlp[0]), "--calib", str(mlp[2]), "-o",
                                str(tmp_path / "m.intq"), "--quiet"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pip install 'intq[report]'" in result.stdout
    assert (tmp_path / "m.intq").is_file() and not (tmp_path / "m_intq" / "plots").exists()
    assert "pip install 'intq[report]'" in (tmp_path / "m_intq" / "report.md").read_text()
    for argv in (["run", str(tmp_path / "m.intq"), str(mlp[2]), "-o", str(tmp_path / "y.npy")],
                 ["inspect", str(tmp_path / "m.intq")],
                 ["export", str(tmp_path / "m.intq"), "-o", str(tmp_path / "m.onnx")]):
        result = _hidden(OPTIONAL, argv, tmp_path)
        assert result.returncode == 0, (argv, result.stderr)


@pytest.mark.parametrize("hidden", [["torch"], ["sklearn"]])
def test_demo_without_its_extra_is_one_line(hidden, tmp_path):
    result = _hidden(hidden, ["demo", "--quiet"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("intq: error:") and len(result.stderr.splitlines()) == 1
