"""The TOML config of ``intq quantize``: typed sections, validated, unknown keys rejected.

One file describes a whole run, as MRT's config-file driver did: ``[model]`` what to quantize,
``[data]`` the calibration set, ``[quantize]`` the quantizer's settings (``QuantConfig``, with
``[quantize.calibration]`` and ``[quantize.per_layer."node"]``), ``[evaluate]`` how to judge
the result, ``[output]`` where it goes. Relative paths in the file are relative to the file's
folder, so a config works from any working directory; paths given with ``--set`` are relative
to the current directory, like every other command-line path.

A source is a path or a ``module:function`` reference; the function is called with the
section's ``args`` table as keyword arguments, and modules next to the config file import.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intq.errors import IntqError
from intq.pipeline.errors import PipelineConfigError
from intq.quantize.config import QuantConfig

BUILTIN_METRICS = ("top1", "top5", "agreement")
ONNX_FORMATS = ("", "int", "qdq")
PATH_KEYS = (("model", "path"), ("data", "source"), ("evaluate", "data"), ("output", "dir"),
             ("output", "model"))
_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def is_reference(text: str) -> bool:
    """Whether a source names ``module:function`` rather than a file."""
    return bool(_REFERENCE.match(text))


@dataclass(frozen=True)
class ModelConfig:
    """``path``: an ONNX file, or ``module:function`` returning a model (``FloatModel``,
    ``Graph``, ONNX ``ModelProto`` or bytes, or a path). ``input_shapes`` pins input
    dimensions before preparation (``{ input = ["N", 8] }``)."""

    path: str
    args: Mapping[str, Any] = field(default_factory=dict)
    input_shapes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DataConfig:
    """The calibration set: a ``.npy``/``.npz`` file, a folder of them (one batch per file), or
    ``module:function`` returning anything ``intq.quantize`` takes; at most ``num_samples``
    samples (0: all)."""

    source: str
    args: Mapping[str, Any] = field(default_factory=dict)
    num_samples: int = 0


@dataclass(frozen=True)
class EvaluateConfig:
    """The evaluation set: a ``.npz`` (inputs by input name, or ``arr_0``... in input order,
    plus optional ``labels``) or ``module:function`` returning ``(inputs, labels)``; left
    empty, the calibration set without labels. ``metrics``: ``top1``, ``top5`` (need labels),
    ``agreement`` (the integer model's top-1 equals the float model's) and ``module:function``
    user metrics ``f(outputs, labels) -> float``. The per-layer error uses the first
    ``layer_samples`` samples."""

    data: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)
    metrics: tuple[str, ...] = ("agreement",)
    num_samples: int = 0
    batch_size: int = 64
    layer_samples: int = 64

    def __post_init__(self) -> None:
        for name in self.metrics:
            if name not in BUILTIN_METRICS and not is_reference(name):
                raise PipelineConfigError(
                    f"evaluate.metrics: unknown metric '{name}'; use {', '.join(BUILTIN_METRICS)}"
                    " or a user metric 'module:function'")
        for name in ("batch_size", "layer_samples"):
            if getattr(self, name) < 1:
                raise PipelineConfigError(f"evaluate.{name} must be at least 1")


@dataclass(frozen=True)
class OutputConfig:
    """Where the run writes: ``dir`` gets model.intq, report.json, report.md, plots/ and
    checkpoints/; ``model`` puts the model file elsewhere (``intq quantize model.onnx -o``);
    ``onnx = "int"`` or ``"qdq"`` also writes model.onnx; ``worst_layers`` activation
    histograms are plotted."""

    dir: str
    model: str = ""
    plots: bool = True
    worst_layers: int = 3
    onnx: str = ""

    def __post_init__(self) -> None:
        if self.onnx not in ONNX_FORMATS:
            raise PipelineConfigError(f"output.onnx '{self.onnx}' is unknown; use \"int\", "
                                      "\"qdq\" or \"\" (no ONNX file)")


@dataclass(frozen=True)
class PipelineConfig:
    """A whole ``intq quantize`` run; ``base_dir`` is the config file's folder."""

    model: ModelConfig
    data: DataConfig
    quantize: QuantConfig
    evaluate: EvaluateConfig
    output: OutputConfig
    base_dir: Path

    @property
    def out_dir(self) -> Path:
        return Path(self.output.dir)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: the settings as used (paths resolved, defaults filled in)."""
        sections = {name: dataclasses.asdict(getattr(self, name), dict_factory=_plain)
                    for name in ("model", "data", "evaluate", "output")}
        quantize = self.quantize.to_dict()
        del quantize["input_shapes"]
        return {**sections, "quantize": quantize}


SECTIONS = {"model": ModelConfig, "data": DataConfig, "evaluate": EvaluateConfig,
            "output": OutputConfig}
REQUIRED = ("model", "data", "output")


def load_config(path: str | Path, overrides: Iterable[str] = (),
                cwd: Path | None = None) -> PipelineConfig:
    """Read, override (``section.key=value`` strings, see ``parse_override``) and validate."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise PipelineConfigError(f"cannot read config '{path}': {reason}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PipelineConfigError(f"config '{path}' is not valid TOML: {exc}") from None
    return config_from_tables(_resolve_paths(raw, path.parent), path.parent, overrides,
                              str(path), cwd)


def config_from_tables(raw: dict[str, Any], base_dir: Path, overrides: Iterable[str] = (),
                       label: str = "", cwd: Path | None = None) -> PipelineConfig:
    """``build_config`` after the ``--set`` overrides; an error is blamed on the override
    that causes it (the config builds, or fails otherwise, without it), else on ``label``."""
    overrides = list(overrides)
    tables = [_resolve_paths(parse_override(text), cwd or Path.cwd()) for text in overrides]
    try:
        return build_config(_merged(raw, tables), base_dir)
    except IntqError as exc:
        culprit = _culprit(raw, base_dir, overrides, tables, str(exc))
        where = f"--set '{culprit}'" if culprit else label
        raise type(exc)(f"{where}: {exc}" if where else str(exc)) from None


def _merged(raw: dict[str, Any], tables: list[dict[str, Any]]) -> dict[str, Any]:
    for table in tables:
        raw = _merge(raw, table)
    return raw


def _culprit(raw: dict[str, Any], base_dir: Path, overrides: list[str],
             tables: list[dict[str, Any]], message: str) -> str | None:
    """The first override without which the error ``message`` goes away."""
    for i, text in enumerate(overrides):
        try:
            build_config(_merged(raw, tables[:i] + tables[i + 1:]), base_dir)
        except IntqError as exc:
            if str(exc) == message:
                continue
        return text
    return None


def parse_override(text: str) -> dict[str, Any]:
    """``section.key=value`` as a nested table; the value is a TOML literal (``4``, ``true``,
    ``["a", "b"]``, ``"x"``) or else the plain string. Quoted key parts work as in TOML
    (``quantize.per_layer."/conv1/Conv".weight_bits=4``)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise PipelineConfigError(f"--set '{text}': write section.key=value")
    for literal in (value.strip(), json.dumps(value.strip())):
        try:
            table = tomllib.loads(f"{key} = {literal}")
        except tomllib.TOMLDecodeError:
            continue
        section = next(iter(table.values()))
        if not isinstance(section, dict):
            raise PipelineConfigError(f"--set '{text}': '{key}' names no key inside a section; "
                                      "write section.key=value")
        return table
    raise PipelineConfigError(f"--set '{text}': '{key}' is not a valid key; write "
                              "section.key=value")


def build_config(raw: Mapping[str, Any], base_dir: Path) -> PipelineConfig:
    """Validate parsed TOML (paths already resolved) into a ``PipelineConfig``."""
    for name in raw:
        if name not in (*SECTIONS, "quantize"):
            raise PipelineConfigError(f"unknown section [{name}]; sections are "
                                      f"{', '.join((*SECTIONS, 'quantize'))}")
    for name in REQUIRED:
        if name not in raw:
            raise PipelineConfigError(f"missing section [{name}]")
    sections = {name: _section(cls, raw.get(name, {}), name) for name, cls in SECTIONS.items()}
    quantize = raw.get("quantize", {})
    if not isinstance(quantize, Mapping):
        raise PipelineConfigError("[quantize] must be a table of settings")
    if "input_shapes" in quantize:
        raise PipelineConfigError("quantize.input_shapes: set input shapes under [model] "
                                  "input_shapes")
    quant = QuantConfig.from_dict({**quantize, "input_shapes": sections["model"].input_shapes})
    return PipelineConfig(quantize=quant, base_dir=base_dir, **sections)


def _section(cls: type, table: Any, name: str) -> Any:
    if not isinstance(table, Mapping):
        raise PipelineConfigError(f"[{name}] must be a table, got {type(table).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in table:
        if key not in fields:
            raise PipelineConfigError(f"unknown key '{name}.{key}'; valid keys in [{name}] are "
                                      f"{', '.join(fields)}")
    for key, f in fields.items():
        if key not in table and f.default is dataclasses.MISSING \
                and f.default_factory is dataclasses.MISSING:
            raise PipelineConfigError(f"[{name}] needs '{key}'")
    return cls(**{key: _typed(f"{name}.{key}", value, hints[key]) for key, value in table.items()})


def _typed(where: str, value: Any, hint: Any) -> Any:
    """``value`` checked against the field's type (TOML lists become tuples)."""
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif hint is str:
        ok = isinstance(value, str)
    elif typing.get_origin(hint) is tuple:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, Mapping)
    if not ok:
        kind = {bool: "true or false", int: "a non-negative integer", str: "a string"}.get(
            hint, "a list of strings" if typing.get_origin(hint) is tuple else "a table")
        raise PipelineConfigError(f"{where} must be {kind}, got {value!r}")
    return value


def _resolve_paths(raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the file paths among ``PATH_KEYS`` absolute against ``base``."""
    for section, key in PATH_KEYS:
        table = raw.get(section)
        value = table.get(key) if isinstance(table, dict) else None
        if isinstance(value, str) and value and not is_reference(value):
            table[key] = str((base / Path(value).expanduser()).resolve())
    return raw


def _plain(items: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON data: tuples become lists."""
    return {key: list(value) if isinstance(value, tuple) else value for key, value in items}


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
