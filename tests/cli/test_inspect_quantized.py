"""``intq inspect`` on a quantized model: size, exact and float parts, per-tensor precision."""

from intq.cli.main import main
from intq.quantize.model import load


def test_inspect_quantized_model(lenet_run, capsys):
    assert main(["inspect", str(lenet_run[0] / "model.intq")]) == 0
    out = capsys.readouterr().out
    assert "parameters: 21,386 (83.5 KiB as float" in out
    assert "exact: yes" in out and "widest accumulator:" in out
    assert "IntConv" in out and "Requantize" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert lines["input_q"][1:4] == ["activation", "u8", "0.003922"]
    assert lines["input_q"][4] == "255"
    accumulators = [v for v in lines.values() if v[1:2] == ["accumulator"]]
    assert accumulators and all(v[3].startswith("per-channel") for v in accumulators)
    cost = load(lenet_run[0] / "model.intq").cost()
    assert cost.int_macs > 0 and cost.float_flops == 0
    assert lines["gas"][1] == f"{cost.gas:,}" and lines["BOPS"][1] == f"{cost.bops:,}"
    assert lines["MACs"][1:4] == [f"{cost.int_macs:,}", f"{cost.int_macs:,}", "integer"]
    assert lines["peak"][2] == f"{cost.peak_activation_bytes:,}"


def test_inspect_float_checkpoint(lenet_run, capsys):
    assert main(["inspect", str(lenet_run[0] / "checkpoints" / "prepared.intq")]) == 0
    out = capsys.readouterr().out
    assert "parameters: 21,386" in out and "precision" not in out
