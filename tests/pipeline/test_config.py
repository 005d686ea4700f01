"""The TOML config: typed sections, unknown keys rejected, overrides, path resolution."""

from pathlib import Path

import pytest

from intq.pipeline.config import load_config, parse_override
from intq.pipeline.errors import PipelineConfigError
from intq.quantize.errors import QuantConfigError

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "configs").glob("*.toml"))
MINIMAL = """
[model]
path = "models/m.onnx"
[data]
source = "calib"
[output]
dir = "out"
"""


def write(tmp_path, text=MINIMAL):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_every_example_config_is_valid(config):
    loaded = load_config(config)
    assert loaded.out_dir.is_absolute() and loaded.out_dir.parent.name == "runs"


def test_a_config_per_zoo_model():
    pytest.importorskip("torch")
    from intq.zoo import MODELS

    stems = {p.stem for p in CONFIGS}
    assert {"lenet_digits"} | (set(MODELS) - {"lenet"}) <= stems


def test_defaults_and_paths_relative_to_the_file(tmp_path):
    config = load_config(write(tmp_path))
    assert config.model.path == str(tmp_path / "models" / "m.onnx")
    assert config.data.source == str(tmp_path / "calib")
    assert config.out_dir == tmp_path / "out"
    assert config.quantize.weight_bits == 8 and config.evaluate.metrics == ("agreement",)
    assert config.base_dir == tmp_path


def test_overrides_are_toml_literals_and_paths_relative_to_cwd(tmp_path):
    cwd = tmp_path / "elsewhere"
    config = load_config(write(tmp_path), [
        "quantize.weight_bits=4", "quantize.calibration.method=mse", "output.dir=o2",
        'quantize.per_layer."/conv.1/Conv".act_bits=16', "evaluate.metrics=[\"top1\"]",
        "data.source=pkg.mod:fn"], cwd=cwd)
    assert config.quantize.weight_bits == 4
    assert config.quantize.calibration.method == "mse"
    assert config.quantize.per_layer["/conv.1/Conv"].act_bits == 16
    assert config.out_dir == cwd / "o2"
    assert config.evaluate.metrics == ("top1",)
    assert config.data.source == "pkg.mod:fn"


@pytest.mark.parametrize("text, table", [
    ("a.b=1", {"a": {"b": 1}}),
    ("a.b=x y", {"a": {"b": "x y"}}),
    ("a.b=", {"a": {"b": ""}}),
    ('a.b="7"', {"a": {"b": "7"}}),
    ("a.b.c=true", {"a": {"b": {"c": True}}}),
])
def test_parse_override(text, table):
    assert parse_override(text) == table


@pytest.mark.parametrize("text", ["novalue", "=3", "key=3", "a b.c=1"])
def test_parse_override_rejects(text):
    with pytest.raises(PipelineConfigError, match="section.key=value"):
        parse_override(text)


@pytest.mark.parametrize("override, error, match", [
    ("model.args=3", PipelineConfigError, "model.args must be a table"),
    ("data.num_samples=-1", PipelineConfigError, "data.num_samples"),
    ("evaluate.metrics=['top3']", PipelineConfigError, "top3"),
    ("evaluate.batch_size=0", PipelineConfigError, "evaluate.batch_size"),
    ("output.onnx='tflite'", PipelineConfigError, "output.onnx"),
    ("output.plots=1", PipelineConfigError, "output.plots must be true or false"),
    ("quantize.input_shapes={}", PipelineConfigError, "[model]"),
    ("quantize.act_bits=1", QuantConfigError, "act_bits"),
    ("quantize.calibration.method='kl'", QuantConfigError, "calibration.method"),
    ("extra.x=1", PipelineConfigError, r"unknown section \[extra\]"),
])
def test_invalid_settings_name_the_key(tmp_path, override, error, match):
    with pytest.raises(error, match=match) as caught:
        load_config(write(tmp_path), [override])
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"--set '{override}': ")


def test_a_fault_in_the_file_is_blamed_on_the_file(tmp_path):
    path = write(tmp_path)
    path.write_text(path.read_text().replace("[output]", "[output]\nplots = 1"))
    with pytest.raises(PipelineConfigError) as caught:
        load_config(path, ["quantize.weight_bits=4"])
    assert str(caught.value).startswith(f"{path}: output.plots")


def test_required_keys_and_sections(tmp_path):
    with pytest.raises(PipelineConfigError, match=r"\[data\] needs 'source'"):
        load_config(write(tmp_path, MINIMAL.replace('source = "calib"', "")))
    with pytest.raises(PipelineConfigError, match=r"missing section \[output\]"):
        load_config(write(tmp_path, MINIMAL.split("[output]")[0]))


def test_automatic_precision_is_a_quantize_table(tmp_path):
    text = MINIMAL + "[quantize.auto_precision]\nmax_share = 0.1\n[quantize.per_layer.\"fc\"]\n" \
        "act_bits = 8\n"
    config = load_config(write(tmp_path, text), ["quantize.auto_precision.min_sqnr_db=20"])
    auto = config.quantize.auto_precision
    assert (auto.enabled, auto.max_share, auto.min_sqnr_db) == (True, 0.1, 20)
    assert config.quantize.per_layer["fc"].act_bits == 8
