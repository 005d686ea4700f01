"""Calibration methods by name, each with its typed config.

``make_config("percentile", {"percentile": 99.9})`` turns a TOML table into the method's config
dataclass (unknown keys are errors); ``make_observer(name, config)`` builds the observer the
config belongs to. Adding a method is adding one file with a config, an observer and a line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from intq.calibration.entropy import EntropyObserver
from intq.calibration.errors import CalibrationError
from intq.calibration.minmax import MinMaxObserver
from intq.calibration.mse import MseObserver
from intq.calibration.observer import Observer
from intq.calibration.percentile import PercentileObserver

OBSERVERS: dict[str, type[Observer]] = {
    cls.method: cls for cls in (MinMaxObserver, PercentileObserver, EntropyObserver, MseObserver)}


def observer_type(method: str) -> type[Observer]:
    try:
        return OBSERVERS[method]
    except (KeyError, TypeError):
        raise CalibrationError(f"unknown calibration method {method!r}; valid methods: "
                               f"{', '.join(sorted(OBSERVERS))}") from None


def make_config(method: str, options: Mapping[str, Any] | None = None) -> Any:
    """The typed config of ``method`` from plain options (e.g. a TOML table)."""
    config_type = observer_type(method).config_type
    options = dict(options or {})
    valid = [f.name for f in fields(config_type)]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise CalibrationError(f"unknown option {unknown[0]!r} for calibration method "
                               f"'{method}'; valid options: {', '.join(valid) or 'none'}")
    return config_type(**options)


def make_observer(name: str, config: Any = "entropy") -> Observer:
    """An observer of tensor ``name`` for a config object or a method name (default options)."""
    if isinstance(config, str):
        return observer_type(config)(name)
    for cls in OBSERVERS.values():
        if type(config) is cls.config_type:
            return cls(name, config)
    raise CalibrationError(f"tensor '{name}': {type(config).__name__} is not a calibration "
                           f"config; use one of {', '.join(sorted(OBSERVERS))}")
