"""Typed quantization settings: what ``intq.quantize`` and the TOML config file accept.

Defaults are the SPEC's: int8, symmetric per-output-channel weights, per-tensor activations,
MSE-optimal calibration. ``QuantConfig.from_dict`` builds a config from plain data (a parsed TOML
table) and rejects unknown keys at any depth, so a typo is an error rather than a silent default.
"""

from __future__ import annotations

import dataclasses
import numbers
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from intq.calibration.registry import OBSERVERS, make_config
from intq.quant.qparams import WEIGHT_CLIPPING
from intq.quantize.errors import QuantConfigError

WEIGHT_BITS = (2, 8)
ACT_BITS = (2, 16)


@dataclass(frozen=True)
class CalibrationConfig:
    """How activation ranges are chosen: ``method`` is a calibration observer name (default
    ``mse``: the clipping threshold minimising the expected squared quantization error, the
    criterion of PyTorch's histogram observer; on the benchmark models it matched float
    accuracy where TensorRT-style entropy clipped too hard, see the README's benchmark);
    ``percentile`` applies to ``method="percentile"``; ``batch_size`` samples per float run."""

    method: str = "mse"
    percentile: float = 99.99
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.method not in OBSERVERS:
            raise QuantConfigError(f"calibration.method {self.method!r} is unknown; use one of "
                                   f"{', '.join(sorted(OBSERVERS))}")
        p = self.percentile
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p <= 100:
            raise QuantConfigError(f"calibration.percentile {p!r} must be a number in (0, 100]")
        _check_int("calibration.batch_size", self.batch_size, 1, None)

    def observer_config(self) -> Any:
        """The calibration layer's typed config for ``method``."""
        options = {"percentile": float(self.percentile)} if self.method == "percentile" else {}
        return make_config(self.method, options)


@dataclass(frozen=True)
class LayerConfig:
    """Bit widths for one node: its weights and the activations it outputs (None: global)."""

    weight_bits: int | None = None
    act_bits: int | None = None

    def __post_init__(self) -> None:
        if self.weight_bits is not None:
            _check_int("weight_bits", self.weight_bits, *WEIGHT_BITS)
        if self.act_bits is not None:
            _check_int("act_bits", self.act_bits, *ACT_BITS)


@dataclass(frozen=True)
class AutoPrecisionConfig:
    """Automatic activation precision: an activation whose expected SQNR on the global
    ``act_bits`` grid (read from its calibration histogram, ``calibration.precision``) is
    below ``min_sqnr_db`` gets ``wide_bits`` instead, worst first, for at most ``max_share``
    of the activations with a grid of their own. A node with its own ``per_layer``
    ``act_bits`` is never changed.

    Defaults, measured (``docs/PRECISION.md``): well-conditioned activations sit at 33-45 dB
    on int8, outlier-stretched transformer tensors (the residual stream and FFN outputs of
    BERT) at -1-30 dB."""

    enabled: bool = True
    min_sqnr_db: float = 30.0
    max_share: float = 0.6
    wide_bits: int = 16

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise QuantConfigError(f"enabled must be true or false, got {self.enabled!r}")
        for name, low, high in (("min_sqnr_db", 0.0, 200.0), ("max_share", 0.0, 1.0)):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not low <= value <= high):
                raise QuantConfigError(f"{name} must be a number in [{low:g}, {high:g}], got "
                                       f"{value!r}")
        _check_int("wide_bits", self.wide_bits, *ACT_BITS)


@dataclass(frozen=True)
class QuantConfig:
    """Everything ``intq.quantize`` can be told.

    ``restore_ops`` (op types) and ``restore_nodes`` (node names) stay in float; so does
    everything downstream of the tensors in ``split`` (MRT's split/merge): their float part runs
    between a Dequantize and a Quantize and is outside the exactness guarantee.
    ``input_shapes`` pins input dimensions before preparation (e.g. a sequence length, so means
    over it become integer sums). With ``output_dequantize`` the graph ends in Dequantize nodes;
    without, its outputs are the raw integers. ``weight_clipping`` picks each weight channel's
    threshold: ``"mse"`` (default) the one with the least squared error, ``"max"`` its max |w|.
    ``auto_precision`` widens the activations that int8 would ruin (``AutoPrecisionConfig``).
    ``max_symbolic_length`` is the most values a sum over a symbolic dimension (attention's
    probabilities times values over the sequence length, a mean pool over it) is proven for;
    a longer one is refused when run, naming the node (``docs/INTEGER_SEMANTICS.md``).
    """

    weight_bits: int = 8
    act_bits: int = 8
    per_channel_weights: bool = True
    weight_clipping: str = "mse"
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    auto_precision: AutoPrecisionConfig = field(default_factory=AutoPrecisionConfig)
    per_layer: Mapping[str, LayerConfig] = field(default_factory=dict)
    restore_ops: tuple[str, ...] = ()
    restore_nodes: tuple[str, ...] = ()
    split: tuple[str, ...] = ()
    input_shapes: Mapping[str, tuple[int | str, ...]] = field(default_factory=dict)
    output_dequantize: bool = True
    max_symbolic_length: int = 65536

    def __post_init__(self) -> None:
        _check_int("weight_bits", self.weight_bits, *WEIGHT_BITS)
        _check_int("max_symbolic_length", self.max_symbolic_length, 1, 1 << 40)
        _check_int("act_bits", self.act_bits, *ACT_BITS)
        for name in ("per_channel_weights", "output_dequantize"):
            if not isinstance(getattr(self, name), bool):
                raise QuantConfigError(f"{name} must be true or false, got "
                                       f"{getattr(self, name)!r}")
        if self.weight_clipping not in WEIGHT_CLIPPING:
            raise QuantConfigError(f"weight_clipping {self.weight_clipping!r} is unknown; use "
                                   f"one of {', '.join(WEIGHT_CLIPPING)}")
        if not isinstance(self.calibration, CalibrationConfig):
            raise QuantConfigError("calibration must be a CalibrationConfig")
        if not isinstance(self.auto_precision, AutoPrecisionConfig):
            raise QuantConfigError("auto_precision must be an AutoPrecisionConfig")
        if not isinstance(self.per_layer, Mapping) or not all(
                isinstance(k, str) and isinstance(v, LayerConfig)
                for k, v in self.per_layer.items()):
            raise QuantConfigError("per_layer must map node names to LayerConfig entries")
        object.__setattr__(self, "per_layer", dict(self.per_layer))
        for name in ("restore_ops", "restore_nodes", "split"):
            object.__setattr__(self, name, _names(name, getattr(self, name)))
        object.__setattr__(self, "input_shapes", _shapes(self.input_shapes))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuantConfig:
        """Build from plain data (e.g. TOML); unknown keys, at any depth, are errors."""
        return _build(cls, data, "")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data that ``from_dict`` turns back into an equal config."""
        data = dataclasses.asdict(self)
        data["per_layer"] = {k: {f: b for f, b in v.items() if b is not None}
                             for k, v in data["per_layer"].items()}
        for key in ("restore_ops", "restore_nodes", "split"):
            data[key] = list(data[key])
        data["input_shapes"] = {k: list(v) for k, v in data["input_shapes"].items()}
        return data

    def weight_bits_for(self, node: str) -> int:
        layer = self.per_layer.get(node)
        return layer.weight_bits if layer and layer.weight_bits else self.weight_bits

    def act_bits_for(self, node: str) -> int:
        layer = self.per_layer.get(node)
        return layer.act_bits if layer and layer.act_bits else self.act_bits


def _build(cls: type, data: Any, path: str) -> Any:
    where = path or "the quantize config"
    if isinstance(data, cls):
        return data
    if not isinstance(data, Mapping):
        raise QuantConfigError(f"{where} must be a table of settings, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    valid = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in data.items():
        dotted = f"{path}.{key}" if path else str(key)
        if key not in valid:
            raise QuantConfigError(f"unknown key '{dotted}' in the quantize config; valid keys "
                                   f"{'under ' + repr(path) + ' ' if path else ''}are "
                                   f"{', '.join(valid)}")
        hint = hints[key]
        if hint in (CalibrationConfig, AutoPrecisionConfig):
            value = _build(hint, value, dotted)
        elif key == "per_layer":
            if not isinstance(value, Mapping):
                raise QuantConfigError(f"{dotted} must map node names to tables")
            value = {str(k): _build(LayerConfig, v, f"{dotted}.{k}") for k, v in value.items()}
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except QuantConfigError as exc:
        if path and not str(exc).startswith(path):
            raise QuantConfigError(f"{path}.{exc}") from None
        raise


def _check_int(name: str, value: Any, low: int, high: int | None) -> None:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        span = f"in {low}..{high}" if high is not None else f">= {low}"
        raise QuantConfigError(f"{name} must be an integer {span}, got {value!r}")


def _names(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(
            isinstance(v, str) and v for v in value):
        raise QuantConfigError(f"{name} must be a list of names, got {value!r}")
    return tuple(value)


def _shapes(value: Any) -> dict[str, tuple[int | str, ...]]:
    if not isinstance(value, Mapping):
        raise QuantConfigError(f"input_shapes must map input names to shapes, got {value!r}")
    shapes = {}
    for name, shape in value.items():
        if isinstance(shape, str) or not isinstance(shape, Sequence) or not all(
                (isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0)
                or (isinstance(d, str) and d) for d in shape):
            raise QuantConfigError(f"input_shapes.{name} must be a list of sizes or symbols, "
                                   f"got {shape!r}")
        shapes[str(name)] = tuple(d if isinstance(d, str) else int(d) for d in shape)
    return shapes
