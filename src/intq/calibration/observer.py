"""``Observer``: streaming, mergeable statistics of one activation tensor.

An observer sees the tensor batch after batch (``observe``), keeps only the fixed-size exact
histogram state of ``histogram.py`` plus min and max, and merges exactly with observers of
the same tensor that saw other parts of the calibration set (``merge``, or
``distributed.allreduce_observers`` across processes). Subclasses differ only in how they
turn the histogram into a symmetric clipping threshold T (``scale = T / qmax``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from intq.calibration.errors import CalibrationError
from intq.calibration.histogram import (BINS, EMPTY_EXPONENT, bin_counts, coarsen,
                                        covering_exponent, from_bins, to_bins)

STATE_KEYS = ("counts", "exponent", "min", "max")


def qmax(bits: int, unsigned: bool) -> int:
    """Largest integer of the symmetric grid: 127 for signed int8, 255 for uint8."""
    return (1 << bits) - 1 if unsigned else (1 << (bits - 1)) - 1


class Observer:
    """Statistics of the tensor ``name``; subclasses set ``method``, ``config_type`` and
    implement ``_threshold_bins``."""

    method: ClassVar[str] = ""
    config_type: ClassVar[type] = object

    def __init__(self, name: str, config: Any = None) -> None:
        if config is None:
            config = self.config_type()
        if not isinstance(config, self.config_type):
            raise CalibrationError(f"observer of tensor '{name}': method '{self.method}' takes "
                                   f"a {self.config_type.__name__}, got "
                                   f"{type(config).__name__}")
        self.name = name
        self.config = config
        self._counts = np.zeros(BINS, np.int64)
        self._exponent = EMPTY_EXPONENT
        self._min = math.inf
        self._max = -math.inf
        self._thresholds: dict[tuple[int, bool], float] = {}
        """Thresholds already searched for this state (the search costs more than the
        calibration pass; lowering and precision selection both ask); emptied on change."""

    def observe(self, values: np.ndarray) -> None:
        """Add one batch (any shape); NaN or Inf is an error naming the tensor."""
        array = np.asarray(values)
        if array.dtype.kind not in "biuf":
            raise CalibrationError(f"tensor '{self.name}' has dtype {array.dtype}; calibration "
                                   "needs real numbers")
        if array.size == 0:
            return
        low, high = float(array.min()), float(array.max())
        if not (math.isfinite(low) and math.isfinite(high)):
            raise CalibrationError(f"tensor '{self.name}' contains NaN or Inf: check the "
                                   "calibration data and the model's weights")
        if array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float32 if array.dtype == np.float16 else np.float64)
        exponent = max(self._exponent, covering_exponent(max(-low, high)))
        self._counts = coarsen(self._counts, exponent - self._exponent)
        self._counts += bin_counts(array, exponent)
        self._exponent = exponent
        self._min = min(self._min, low)
        self._max = max(self._max, high)
        self._thresholds.clear()

    def merge(self, other: Observer) -> Observer:
        """Add ``other``'s statistics to this observer (exact); returns ``self``."""
        if type(other) is not type(self) or other.name != self.name or other.config != self.config:
            raise CalibrationError(f"cannot merge {other!r} into {self!r}: observers must "
                                   "watch the same tensor with the same method and config")
        exponent = max(self._exponent, other._exponent)
        self._counts = (coarsen(self._counts, exponent - self._exponent)
                        + coarsen(other._counts, exponent - other._exponent))
        self._exponent = exponent
        self._min = min(self._min, other._min)
        self._max = max(self._max, other._max)
        self._thresholds.clear()
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """The whole state as fixed-size arrays (safetensors- and all-reduce-friendly)."""
        return {"counts": self._counts.copy(),
                "exponent": np.array(self._exponent, np.int64),
                "min": np.array(self._min, np.float64),
                "max": np.array(self._max, np.float64)}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Replace the state with ``state`` (from ``state_dict``), checking it is consistent."""
        where = f"calibration state of tensor '{self.name}'"
        if sorted(state) != sorted(STATE_KEYS):
            raise CalibrationError(f"{where} has keys {sorted(state)}, expected "
                                   f"{sorted(STATE_KEYS)}")
        counts = np.asarray(state["counts"])
        if counts.shape != (BINS,) or counts.dtype != np.int64 or (counts < 0).any():
            raise CalibrationError(f"{where}: 'counts' must be {BINS} non-negative int64")
        exponent, low, high = (np.asarray(state[k]) for k in ("exponent", "min", "max"))
        if exponent.shape or exponent.dtype != np.int64:
            raise CalibrationError(f"{where}: 'exponent' must be an int64 scalar")
        if low.shape or high.shape or low.dtype != np.float64 or high.dtype != np.float64:
            raise CalibrationError(f"{where}: 'min' and 'max' must be float64 scalars")
        low, high, exponent = float(low), float(high), int(exponent)
        if counts.sum() == 0:
            consistent = (low, high, exponent) == (math.inf, -math.inf, EMPTY_EXPONENT)
        else:
            consistent = (math.isfinite(low) and math.isfinite(high) and low <= high
                          and exponent == covering_exponent(max(-low, high)))
        if not consistent:
            raise CalibrationError(f"{where} is inconsistent (min {low}, max {high}, exponent "
                                   f"{exponent}, {int(counts.sum())} values): corrupt file?")
        self._counts, self._exponent, self._min, self._max = counts.copy(), exponent, low, high
        self._thresholds.clear()

    @classmethod
    def from_state(cls, name: str, state: dict[str, np.ndarray], config: Any = None) -> Observer:
        observer = cls(name, config)
        observer.load_state(state)
        return observer

    @property
    def count(self) -> int:
        """Number of values observed."""
        return int(self._counts.sum())

    @property
    def min(self) -> float:
        self._require_data()
        return self._min

    @property
    def max(self) -> float:
        self._require_data()
        return self._max

    @property
    def max_abs(self) -> float:
        return max(-self.min, self.max)

    @property
    def non_negative(self) -> bool:
        """True when every observed value was >= 0: the tensor can be quantized unsigned."""
        return self.min >= 0

    def threshold(self, bits: int = 8, unsigned: bool | None = None) -> float:
        """Symmetric clipping value T for a ``bits``-wide grid (``scale = T / qmax``).

        ``unsigned`` defaults to ``non_negative``. ``0 < T <= max|x|``, except that a tensor
        that was all zeros gives 0."""
        if isinstance(bits, bool) or not isinstance(bits, numbers.Integral) or not 2 <= bits <= 32:
            raise CalibrationError(f"tensor '{self.name}': bit width {bits!r} must be an "
                                   "integer in 2..32")
        if unsigned is None:
            unsigned = self.non_negative
        elif unsigned and not self.non_negative:
            raise CalibrationError(f"tensor '{self.name}' has negative values (min {self.min}) "
                                   "and cannot be quantized unsigned")
        top = self.max_abs
        if top == 0:
            return 0.0
        key = (int(bits), bool(unsigned))
        if key not in self._thresholds:
            found = self._threshold_bins(self._counts, to_bins(top, self._exponent),
                                         qmax(*key))
            self._thresholds[key] = min(from_bins(found, self._exponent), top)
        return self._thresholds[key]

    def _threshold_bins(self, counts: np.ndarray, top: float, grid_max: int) -> float:
        """Threshold in bin units from ``counts`` (bin width 1), the max |x| ``top`` in bin
        units and the grid's largest integer ``grid_max``."""
        raise NotImplementedError

    def _require_data(self) -> None:
        if self._min > self._max:
            raise CalibrationError(f"tensor '{self.name}' was never observed: empty "
                                   "calibration set?")

    def __repr__(self) -> str:
        seen = f"[{self._min}, {self._max}]" if self._min <= self._max else "never observed"
        return f"{type(self).__name__}({self.name!r}, {self.count} values, {seen})"
