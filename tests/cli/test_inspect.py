from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

import intq
from intq.cli.main import main

EXAMPLE = Path(intq.__file__).parent / "examples" / "digits_cnn.onnx"


def test_inspect_bundled_example(capsys):
    assert main(["inspect", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "input: float32[N,1,8,8]" in out
    assert "output: float32[N,10]" in out
    assert "parameters: 21,386" in out
    assert "Conv" in out and "unsupported ops: none" in out


def test_inspect_prints_the_float_cost(capsys):
    assert main(["inspect", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    macs = 6 * 8 * 8 * 1 * 25 + 16 * 4 * 4 * 6 * 25 + 120 * 64 + 84 * 120 + 10 * 84
    assert "cost per sample (batch 1, see docs/COST.md):" in out
    assert f"  MACs{macs:>32,}  {macs:,} float" in out
    assert f"  BOPS{macs * 32 * 32:>32,}" in out


def test_inspect_says_why_cost_is_unavailable(tmp_path, capsys):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "T"])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              tmp_path / "m.onnx")
    assert main(["inspect", str(tmp_path / "m.onnx")]) == 0
    assert "cost: unavailable (cost needs static shapes: input 'x' has dimension 'T'" in (
        capsys.readouterr().out)


def test_inspect_prints_graph(capsys):
    assert main(["inspect", str(EXAMPLE), "--graph"]) == 0
    assert "= Conv(%input" in capsys.readouterr().out


def _model_with(path: Path, op_type: str, **attrs) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="r"),
             helper.make_node(op_type, ["a"], ["b"], name="n1", **attrs),
             helper.make_node(op_type, ["b"], ["y"], name="n2", **attrs)]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)


def test_inspect_lists_onnx_runtime_islands(tmp_path, capsys):
    path = tmp_path / "m.onnx"
    _model_with(path, "Hardmax")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ONNX Runtime islands (2 nodes, float; need onnxruntime):" in out
    assert "n1" in out and "n2" in out and "no float reference for Hardmax" in out


def test_inspect_lists_every_unsupported_node(tmp_path, capsys):
    path = tmp_path / "m.onnx"
    info = helper.make_tensor_value_info
    branch = helper.make_graph([helper.make_node("Identity", ["x"], ["z"])], "b", [],
                               [info("z", TensorProto.FLOAT, [1, 4])])
    nodes = [helper.make_node("If", ["c"], [out], name=out, then_branch=branch,
                              else_branch=branch) for out in ("if1", "if2")]
    nodes.append(helper.make_node("Add", ["if1", "if2"], ["y"], name="add"))
    graph = helper.make_graph(nodes, "g", [info("c", TensorProto.BOOL, []),
                                           info("x", TensorProto.FLOAT, [1, 4])],
                              [info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    assert main(["inspect", str(path)]) == 2
    out = capsys.readouterr().out
    assert "unsupported ops (2 nodes): cut the model before it" in out
    assert "if1" in out and "if2" in out


@pytest.mark.parametrize("content, match", [
    (None, "does not exist"),
    (b"this is not onnx", "m.onnx"),
    (b"", "m.onnx"),
])
def test_bad_files_give_one_line_and_exit_2(tmp_path, capsys, content, match):
    path = tmp_path / "m.onnx"
    if content is not None:
        path.write_bytes(content)
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("intq: error:") and match in err
    assert len(err.splitlines()) == 1


def test_truncated_onnx(tmp_path, capsys):
    path = tmp_path / "m.onnx"
    path.write_bytes(EXAMPLE.read_bytes()[:5000])
    assert main(["inspect", str(path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_debug_shows_traceback(tmp_path):
    with pytest.raises(intq.IntqError):
        main(["--debug", "inspect", str(tmp_path / "missing.onnx")])


def test_console_script_entry_point(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "intq", "inspect", str(tmp_path / "x.onnx")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
