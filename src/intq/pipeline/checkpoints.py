"""Stage checkpoints in ``<output dir>/checkpoints``: what ``--start STAGE`` resumes from.

A finished stage leaves its files, then its record ``<stage>.json``; every file is written
atomically and the record last, so a record means the stage's files are complete. A record
holds the stage's fingerprint (``fingerprints``): a hash of the settings that stage and every
stage before it used, with the size and time of the files they read. Resuming after a change
that affects an earlier stage is refused rather than mixing old and new results.

Graphs are intq graph files (safetensors + JSON, ``ir.serialize``); calibration observers are
one safetensors file of their exact histogram states, so any calibration method can read
them again (``quantize.calibration.method`` may change without calibrating again).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from intq.calibration.observer import STATE_KEYS, Observer
from intq.calibration.registry import make_observer
from intq.errors import IntqError
from intq.ir.graph import Graph
from intq.ir.serialize import load_graph, save_graph, write_atomic
from intq.pipeline.errors import CheckpointError

OBSERVERS_FILE = "observers.safetensors"


class Checkpoints:
    """The checkpoint folder of one output directory."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = Path(out_dir) / "checkpoints"

    def record(self, stage: str) -> dict[str, Any] | None:
        """The record of a finished ``stage``, or None."""
        path = self.dir / f"{stage}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            raise CheckpointError(f"checkpoint '{path}' is unreadable; rerun from stage "
                                  f"'{stage}' (--start {stage})") from None

    def write_record(self, stage: str, record: Mapping[str, Any]) -> None:
        write_json(self.dir / f"{stage}.json", record)

    def discard(self, stages: Iterable[str]) -> None:
        """Forget ``stages``: their records go, so nothing can resume from stale files."""
        for stage in stages:
            (self.dir / f"{stage}.json").unlink(missing_ok=True)

    def save_graph(self, name: str, graph: Graph) -> None:
        save_graph(graph, self.dir / name)

    def load_graph(self, name: str, stage: str) -> Graph:
        try:
            graph, _ = load_graph(self.dir / name)
        except IntqError as exc:
            raise CheckpointError(f"{exc}; rerun from stage '{stage}' (--start {stage})") from None
        return graph

    def save_observers(self, observers: Mapping[str, Observer]) -> None:
        from safetensors.numpy import save

        names = list(observers)
        tensors = {f"{i}.{key}": value for i, name in enumerate(names)
                   for key, value in observers[name].state_dict().items()}
        write_atomic(self.dir / OBSERVERS_FILE,
                     save(tensors, metadata={"tensors": json.dumps(names)}))

    def load_observers(self, method: Any) -> dict[str, Observer]:
        """The calibration states, read with ``method`` (a calibration method config)."""
        from safetensors import safe_open

        path = self.dir / OBSERVERS_FILE
        try:
            with safe_open(str(path), framework="np") as f:
                names = json.loads(f.metadata()["tensors"])
                states = [{key: f.get_tensor(f"{i}.{key}") for key in STATE_KEYS}
                          for i in range(len(names))]
        except Exception:
            raise CheckpointError(f"calibration checkpoint '{path}' is missing or corrupt; "
                                  "rerun from stage 'calibrate' (--start calibrate)") from None
        observers = {}
        for name, state in zip(names, states):
            observers[name] = make_observer(name, method)
            observers[name].load_state(state)
        return observers


def fingerprints(stages: Iterable[str], settings: Mapping[str, Any]) -> dict[str, str]:
    """Cumulative hash per stage of ``settings[stage]`` (JSON data; paths in it are
    fingerprinted by their size and modification time as well)."""
    digest = ""
    prints = {}
    for stage in stages:
        text = json.dumps(settings.get(stage), sort_keys=True, default=_file_state)
        digest = hashlib.sha256(f"{digest}\n{text}".encode()).hexdigest()
        prints[stage] = digest
    return prints


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, allow_nan=False, default=_plain) + "\n")


def write_text(path: Path, text: str) -> None:
    write_atomic(Path(path), text.encode("utf-8"))


def _file_state(path: Any) -> Any:
    if isinstance(path, Path):
        try:
            stat = path.stat()
        except OSError:
            return [str(path), None]
        return [str(path), stat.st_size, stat.st_mtime_ns]
    raise TypeError(f"{type(path).__name__} is not JSON data")


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (Path, os.PathLike)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")
