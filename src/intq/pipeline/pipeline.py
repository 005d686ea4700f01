"""``run_pipeline``: MRT's staged flow, prepare → split → calibrate → quantize → merge →
evaluate → compile, with a checkpoint after every stage so ``start`` resumes a run.

Resuming from stage S needs the checkpoints of every stage before S, made with the settings
they depend on now (see ``checkpoints.fingerprints``): with ``start="quantize"`` a run can try
another bit width or calibration method without calibrating again, while a changed model or
calibration set is refused with the stage to rerun from.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from intq.pipeline.checkpoints import Checkpoints, fingerprints
from intq.pipeline.config import PipelineConfig, is_reference
from intq.pipeline.errors import CheckpointError, DataError, PipelineConfigError
from intq.pipeline.sources import check_files
from intq.pipeline.stages import STAGES, Run


def run_pipeline(config: PipelineConfig, *, start: str = "prepare", progress: bool = True,
                 log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the stages from ``start`` on; return the report (also in ``report.json``).
    ``progress`` shows progress bars; ``log`` receives a line as each stage begins."""
    if start not in STAGES:
        raise PipelineConfigError(f"--start '{start}' is no stage; stages are "
                                  f"{', '.join(STAGES)}")
    check_files(config)
    try:
        return _run(config, start, progress, log)
    except OSError as exc:
        raise DataError(f"cannot access '{exc.filename}' ({exc.strerror or exc}); check the "
                        "output dir and file permissions") from exc


def _run(config: PipelineConfig, start: str, progress: bool,
         log: Callable[[str], None] | None) -> dict[str, Any]:
    names = list(STAGES)
    first = names.index(start)
    checkpoints = Checkpoints(config.out_dir)
    prints = fingerprints(names, stage_settings(config))
    run = Run(config, checkpoints, progress)
    for stage in names[:first]:
        run.records[stage] = _resumable(checkpoints, stage, prints[stage], start)
    checkpoints.discard(names[first:])
    for number, stage in enumerate(names[first:], start=first + 1):
        if log is not None:
            log(f"[{number}/{len(names)}] {stage}")
        began = time.perf_counter()
        data = STAGES[stage](run)
        record = {"stage": stage, "fingerprint": prints[stage],
                  "seconds": time.perf_counter() - began, "data": data}
        run.records[stage] = record
        checkpoints.write_record(stage, record)
    return run.report


def stage_settings(config: PipelineConfig) -> dict[str, Any]:
    """What each stage's result depends on besides earlier stages (files by path)."""
    quantize = config.quantize.to_dict()
    return {
        "prepare": {"model": dataclasses.asdict(config.model), "file": _file(config.model.path)},
        "split": {key: quantize[key] for key in ("restore_ops", "restore_nodes", "split")},
        "calibrate": {"data": dataclasses.asdict(config.data), "file": _file(config.data.source)},
        "quantize": quantize,
        "merge": None,
        "evaluate": {"evaluate": dataclasses.asdict(config.evaluate),
                     "file": _file(config.evaluate.data)},
        "compile": dataclasses.asdict(config.output),
    }


def _resumable(checkpoints: Checkpoints, stage: str, fingerprint: str, start: str
               ) -> dict[str, Any]:
    record = checkpoints.record(stage)
    if record is None:
        raise CheckpointError(f"cannot start at '{start}': stage '{stage}' has no checkpoint in "
                              f"'{checkpoints.dir}'; start earlier (--start {stage})")
    if record.get("fingerprint") != fingerprint:
        raise CheckpointError(f"cannot start at '{start}': the checkpoint of stage '{stage}' in "
                              f"'{checkpoints.dir}' was made with other settings or files; "
                              f"start earlier (--start {stage})")
    return record


def _file(source: str) -> Path | None:
    return Path(source) if source and not is_reference(source) else None
