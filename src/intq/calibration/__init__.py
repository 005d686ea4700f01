"""Calibration: streaming, exactly mergeable statistics that choose quantization ranges.

Activations get an ``Observer`` per tensor (methods ``minmax``, ``percentile``, ``entropy``,
``mse``; see ``registry.py``) fed batch by batch from the float executor's ``on_value`` hook
by ``calibrate`` (the stage driver, ``calibrate.py``; data sources in ``data.py``); weights
get ``per_channel_max_abs``. ``histogram.py`` documents why merging is exact.
"""

from intq.calibration.calibrate import calibrate, with_method
from intq.calibration.data import count_samples, iter_batches, shard
from intq.calibration.distributed import allreduce_observers
from intq.calibration.entropy import EntropyConfig, EntropyObserver
from intq.calibration.errors import CalibrationError
from intq.calibration.minmax import MinMaxConfig, MinMaxObserver
from intq.calibration.mse import MseConfig, MseObserver
from intq.calibration.observer import Observer, qmax
from intq.calibration.percentile import PercentileConfig, PercentileObserver
from intq.calibration.registry import OBSERVERS, make_config, make_observer, observer_type
from intq.calibration.weights import per_channel_max_abs

__all__ = [
    "OBSERVERS", "CalibrationError", "EntropyConfig", "EntropyObserver", "MinMaxConfig",
    "MinMaxObserver", "MseConfig", "MseObserver", "Observer", "PercentileConfig",
    "PercentileObserver", "allreduce_observers", "calibrate", "count_samples", "iter_batches",
    "make_config", "make_observer", "observer_type", "per_channel_max_abs", "qmax", "shard",
    "with_method",
]
