"""``report.md``: the report's facts as tables, with exact tensors and float parts stated."""

from intq.pipeline.report import render_markdown, summary_lines

COST = {"gas": 1_000, "int_macs": 600, "int_ops": 40, "float_macs": 10, "float_flops": 24,
        "edge_flops": 6, "bops": 48_000, "float_nodes": 1, "param_bytes": 900,
        "peak_activation_bytes": 300, "peak_node": "conv"}
NODES = [{"node": f"n{i}", "op": "IntConv", "domain": "integer", "macs": 100 * i, "ops": i,
          "width": 32, "bops": 6400 * i, "gas": 100 * i, "out_bytes": 4} for i in range(1, 7)]

REPORT = {
    "model": {"name": "net", "source": "net.onnx"},
    "config": {"quantize": {"weight_bits": 4, "act_bits": 8,
                            "calibration": {"method": "mse"}}},
    "evaluation": {"samples": 10, "labelled": True, "layer_samples": 4},
    "metrics": {"top1": {"float": 90.0, "quantized": 88.5},
                "mod:f1": {"float": 0.91234, "quantized": 0.9}},
    "exact": False, "integer_nodes": 3, "float_nodes": {"lstm": "no integer form for LSTM"},
    "batch_invariant": True,
    "size_bytes": {"float": 4096, "integer": 1024}, "parameters": 1000,
    "accumulator_bits": 21,
    "layers": [{"tensor": "x|y", "op": "Relu", "integer": True, "bits": 8, "signed": False,
                "scale": 0.1, "sqnr_db": None, "cosine": 1.0},
               {"tensor": "h", "op": "LSTM", "integer": False, "bits": None, "signed": None,
                "scale": None, "sqnr_db": 17.25, "cosine": 0.98}],
    "precision": [{"tensor": "w", "kind": "constant", "bits": 4, "signed": True,
                   "scale": [0.1, 0.2], "bound": 7, "proven_bits": 4}],
    "stages": {"prepare": 0.5},
    "files": {"plots": {"sqnr": "plots/sqnr.png"}},
}


def test_markdown_tables():
    text = render_markdown(REPORT)
    assert "weights 4-bit, activations 8-bit, calibration `mse`" in text
    assert "| top1 | 90.00 % | 88.50 % | -1.50 |" in text
    assert "| mod:f1 | 0.9123 | 0.9 | -0.01234 |" in text
    assert "| `x\\|y` | Relu | u8 | ∞ | 1.00000 |" in text
    assert "| `h` | LSTM | float | 17.2 | 0.98000 |" in text
    assert "| `w` | constant | i4 | per-channel [2] | 7 | 4 |" in text
    assert "![per-layer SQNR](plots/sqnr.png)" in text and "clipping" not in text


def test_summary_states_the_float_part():
    exact, invariant, size, width = summary_lines(REPORT)
    assert "Partly float: 1 node(s)" in exact and "`lstm` (no integer form for LSTM)" in exact
    assert invariant.startswith("Batch-invariant")
    assert "4.0 KiB as float32, 1.0 KiB as integers (4.0× smaller)" in size
    assert "21 bits" in width


def test_cost_section_compares_float_and_quantized():
    float_cost = {**COST, "gas": 8_000, "int_macs": 0, "float_macs": 610}
    report = {**REPORT, "cost": {"quantized": {**COST, "nodes": NODES}, "float": float_cost}}
    text = render_markdown(report)
    assert "## Cost" in text and "| figure | float | quantized |" in text
    assert "| gas | 8,000 | 1,000 |" in text and "| MACs | 610 | 610 |" in text
    assert "| BOPS (MACs × operand bits) | 48,000 | 48,000 |" in text
    assert "| peak activation bytes | 300 | 300 |" in text
    assert "| `n6` | IntConv | 600 | 6 | 600 | 60.0 % |" in text and "`n1`" not in text
    cost_line = summary_lines(report)[-1]
    assert cost_line == ("Cost per sample: 1,000 gas, 610 MACs, 48,000 BOPS "
                         "(8.0× less gas than float).")


def test_cost_section_without_figures():
    text = render_markdown({**REPORT, "cost": {"unavailable": "cost needs static shapes"}})
    assert "## Cost\n\nNot counted: cost needs static shapes" in text
    assert len(summary_lines(REPORT)) == 4 and "## Cost" not in render_markdown(REPORT)


AUTO = {"enabled": True, "min_sqnr_db": 30.0, "max_share": 0.4, "wide_bits": 16}


def test_widened_tensors_are_listed_with_their_reason():
    config = {"quantize": {**REPORT["config"]["quantize"], "auto_precision": AUTO}}
    widened = [{"tensor": "ffn|out", "node": "fc2", "bits": 16, "sqnr_db": 12.345}]
    text = render_markdown({**REPORT, "config": config, "widened": widened})
    assert "## Automatic precision" in text and "below 30 dB get 16 bits" in text
    assert "| `ffn\\|out` | `fc2` | 16 | 12.3 |" in text
    text = render_markdown({**REPORT, "config": config, "widened": []})
    assert "No activation needed it." in text


def test_automatic_precision_off_is_said():
    config = {"quantize": {**REPORT["config"]["quantize"],
                           "auto_precision": {**AUTO, "enabled": False}}}
    assert "Off (`auto_precision.enabled = false`)" in render_markdown(
        {**REPORT, "config": config, "widened": []})


def test_bias_adjustments_list_each_channel_and_its_sqnr_cost():
    rows = [{"node": "conv|1", "op": "Conv", "channel": 3, "factor": 227.85,
             "weight_sqnr_before_db": 45.75, "weight_sqnr_after_db": 0.27},
            {"node": "fc", "op": "MatMul", "channel": None, "factor": 2.0,
             "weight_sqnr_before_db": None, "weight_sqnr_after_db": 30.0}]
    text = render_markdown({**REPORT, "bias_adjustments": rows})
    assert "## Bias adjustments" in text and "2 channel(s) had a bias too large" in text
    assert "| `conv\\|1` | Conv | 3 | 227.8 | 45.8 | 0.3 |" in text
    assert "| `fc` | MatMul | all (per-tensor) | 2 | ∞ | 30.0 |" in text
    assert "## Bias adjustments" not in render_markdown({**REPORT, "bias_adjustments": []})
