"""Combine observers across processes with ``torch.distributed`` (any backend, e.g. gloo).

Each rank observes its share of the calibration set; ``allreduce_observers`` then leaves
every rank with the statistics of all the data, bit-identical to a single process having
seen everything: the largest exponent wins, every rank coarsens its counts to it, counts are
summed as int64, mins and maxes reduced exactly. Five collectives, whatever the number of
observers.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from intq.calibration.errors import CalibrationError
from intq.calibration.histogram import coarsen
from intq.calibration.observer import Observer


def allreduce_observers(observers: Sequence[Observer], group: Any = None) -> None:
    """Replace each observer's state, in place, by the union over all ranks of ``group``.

    Every rank must pass observers of the same tensors and methods in the same order."""
    try:
        import torch
        import torch.distributed as dist
    except ImportError:
        raise CalibrationError("allreduce_observers needs torch: pip install 'intq[torch]'"
                               ) from None
    if not (dist.is_available() and dist.is_initialized()):
        raise CalibrationError("torch.distributed is not initialized: call "
                               "init_process_group before allreduce_observers")
    signature = zlib.crc32("\0".join(f"{o.method}:{o.name}" for o in observers).encode())
    check = torch.tensor([signature, -signature], dtype=torch.int64)
    dist.all_reduce(check, op=dist.ReduceOp.MAX, group=group)
    if check.tolist() != [signature, -signature]:
        raise CalibrationError("ranks hold different observers: every rank must pass the same "
                               "tensors and methods in the same order")
    if not observers:
        return
    states = [o.state_dict() for o in observers]
    exponents = torch.tensor([int(s["exponent"]) for s in states], dtype=torch.int64)
    dist.all_reduce(exponents, op=dist.ReduceOp.MAX, group=group)
    counts = torch.from_numpy(np.stack([
        coarsen(s["counts"], e - int(s["exponent"]))
        for s, e in zip(states, exponents.tolist())]))
    lows = torch.tensor([float(s["min"]) for s in states], dtype=torch.float64)
    highs = torch.tensor([float(s["max"]) for s in states], dtype=torch.float64)
    dist.all_reduce(counts, op=dist.ReduceOp.SUM, group=group)
    dist.all_reduce(lows, op=dist.ReduceOp.MIN, group=group)
    dist.all_reduce(highs, op=dist.ReduceOp.MAX, group=group)
    for i, observer in enumerate(observers):
        observer.load_state({"counts": counts[i].numpy().copy(),
                             "exponent": np.array(exponents[i].item(), np.int64),
                             "min": np.array(lows[i].item(), np.float64),
                             "max": np.array(highs[i].item(), np.float64)})
