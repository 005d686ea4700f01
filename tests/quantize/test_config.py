import pytest

from intq.quantize import CalibrationConfig, LayerConfig, QuantConfig, QuantConfigError
from intq.quantize.config import AutoPrecisionConfig


def test_defaults_are_the_spec_defaults():
    config = QuantConfig()
    assert (config.weight_bits, config.act_bits, config.per_channel_weights) == (8, 8, True)
    assert config.calibration == CalibrationConfig("mse", 99.99, 32)
    assert config.output_dequantize and not config.restore_ops and not config.split


def test_automatic_precision_is_on_by_default_and_configurable():
    assert QuantConfig().auto_precision == AutoPrecisionConfig(True, 30.0, 0.6, 16)
    config = QuantConfig.from_dict({"auto_precision": {"min_sqnr_db": 25, "max_share": 0.1}})
    assert config.auto_precision == AutoPrecisionConfig(True, 25, 0.1, 16)
    assert QuantConfig.from_dict(config.to_dict()) == config


def test_from_dict_builds_nested_settings_and_round_trips():
    data = {"weight_bits": 4, "act_bits": 8,
            "calibration": {"method": "percentile", "percentile": 99.9, "batch_size": 8},
            "per_layer": {"conv1": {"weight_bits": 8}, "fc": {"act_bits": 16}},
            "restore_ops": ["Softmax"], "restore_nodes": ["head"], "split": ["feat"],
            "input_shapes": {"input": ["N", 8]}, "output_dequantize": False}
    config = QuantConfig.from_dict(data)
    assert config.per_layer["conv1"] == LayerConfig(weight_bits=8)
    assert config.weight_bits_for("conv1") == 8 and config.weight_bits_for("other") == 4
    assert config.act_bits_for("fc") == 16 and config.act_bits_for("conv1") == 8
    assert config.restore_ops == ("Softmax",) and config.input_shapes == {"input": ("N", 8)}
    assert QuantConfig.from_dict(config.to_dict()) == config
    assert config.calibration.observer_config().percentile == 99.9


@pytest.mark.parametrize("data, message", [
    ({"weight_bit": 8}, "unknown key 'weight_bit'.*valid keys are weight_bits"),
    ({"calibration": {"methd": "entropy"}}, "unknown key 'calibration.methd'"),
    ({"per_layer": {"conv": {"bits": 4}}}, "unknown key 'per_layer.conv.bits'"),
    ({"weight_bits": 9}, "weight_bits must be an integer in 2..8, got 9"),
    ({"weight_bits": 1}, "weight_bits must be an integer in 2..8"),
    ({"act_bits": 17}, "act_bits must be an integer in 2..16"),
    ({"act_bits": True}, "act_bits must be an integer"),
    ({"per_layer": {"conv": {"act_bits": 32}}}, "per_layer.conv.act_bits must be an integer"),
    ({"calibration": {"method": "magic"}}, "calibration.method 'magic' is unknown"),
    ({"calibration": {"percentile": 0}}, r"calibration.percentile 0 must be a number in \(0"),
    ({"calibration": {"batch_size": 0}}, "calibration.batch_size must be an integer >= 1"),
    ({"restore_ops": "Softmax"}, "restore_ops must be a list of names"),
    ({"input_shapes": {"x": [1.5]}}, "input_shapes.x must be a list of sizes"),
    ({"output_dequantize": "yes"}, "output_dequantize must be true or false"),
    ({"calibration": 3}, "calibration must be a table"),
    ({"auto_precision": {"share": 0.1}}, "unknown key 'auto_precision.share'"),
    ({"auto_precision": {"max_share": 1.5}}, r"auto_precision.max_share must be a number in "
                                             r"\[0, 1\]"),
    ({"auto_precision": {"wide_bits": 17}}, "auto_precision.wide_bits must be an integer"),
    ({"auto_precision": {"enabled": 1}}, "auto_precision.enabled must be true or false"),
    ([1], "the quantize config must be a table"),
])
def test_bad_settings_are_one_line_errors_naming_the_key(data, message):
    with pytest.raises(QuantConfigError, match=message) as info:
        QuantConfig.from_dict(data)
    assert "\n" not in str(info.value)
