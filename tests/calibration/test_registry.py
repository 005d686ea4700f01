"""Methods by name, typed configs, and one-line errors for anything else."""

from __future__ import annotations

import numpy as np
import pytest

from intq.calibration import (OBSERVERS, CalibrationError, EntropyObserver, MinMaxConfig,
                              MseObserver, PercentileConfig, PercentileObserver, make_config,
                              make_observer, observer_type)


def test_the_four_methods_are_registered():
    assert sorted(OBSERVERS) == ["entropy", "minmax", "mse", "percentile"]
    assert observer_type("mse") is MseObserver


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(CalibrationError) as error:
        make_observer("x", "kl")
    message = str(error.value)
    assert "\n" not in message
    assert message == ("unknown calibration method 'kl'; valid methods: entropy, minmax, mse, "
                       "percentile")


def test_config_from_a_toml_table():
    config = make_config("percentile", {"percentile": 99.9})
    assert config == PercentileConfig(99.9)
    observer = make_observer("act", config)
    assert isinstance(observer, PercentileObserver) and observer.config.percentile == 99.9
    assert make_config("entropy") == make_config("entropy", {})


def test_unknown_option_is_an_error():
    with pytest.raises(CalibrationError, match="unknown option 'percentil' for calibration "
                                               "method 'percentile'; valid options: percentile"):
        make_config("percentile", {"percentil": 99.9})
    with pytest.raises(CalibrationError, match="valid options: none"):
        make_config("minmax", {"bins": 512})


def test_method_name_gives_default_config():
    observer = make_observer("act", "percentile")
    assert observer.config == PercentileConfig()
    assert isinstance(make_observer("act"), EntropyObserver)


def test_mismatched_config_is_an_error():
    with pytest.raises(CalibrationError, match="tensor 'act': dict is not a calibration config"):
        make_observer("act", {"method": "mse"})
    with pytest.raises(CalibrationError, match="method 'percentile' takes a PercentileConfig"):
        PercentileObserver("act", MinMaxConfig())


@pytest.mark.parametrize("method", sorted(OBSERVERS))
def test_every_method_reports_the_same_statistics(method):
    observer = make_observer("act", method)
    observer.observe(np.array([-0.5, 0.25, 3.0], np.float32))
    assert (observer.min, observer.max, observer.non_negative) == (-0.5, 3.0, False)
    assert 0 < observer.threshold() <= 3.0
