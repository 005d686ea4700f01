"""Distributed calibration under a real ``torchrun`` (two gloo ranks on CPU): each rank
calibrates its shard, and both end with thresholds identical to one process on all data,
also when a rank's shard is empty; a rank that fails makes the other fail, not hang."""

from __future__ import annotations

import json
import os
import runpy
import socket
import subprocess
import sys

import numpy as np
import pytest

from intq.calibration import calibrate

torch = pytest.importorskip("torch")

WORLD = 2
METHODS = ("entropy", "minmax")

MODEL = """
import intq
from intq import passes, zoo


def build_graph():
    model = zoo.build("lenet", seed=3, image_size=8)
    graph = intq.from_torch(model, model.example_inputs()).graph
    passes.prepare(graph)
    return graph


def summary(observers):
    return {name: [o.threshold(8), o.min, o.max, o.count] for name, o in observers.items()}
"""

SCRIPT = """
import json
import sys

import numpy as np
import torch.distributed as dist

from intq.calibration import CalibrationError, calibrate, shard
from model import build_graph, summary

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
graph = build_graph()
data = np.load(sys.argv[1], allow_pickle=False)
found = {}
for method, distributed in (("entropy", None), ("minmax", True)):
    found[method] = summary(calibrate(graph, shard(data, rank, world), method=method,
                                      batch_size=8, progress=False, distributed=distributed))
found["one batch"] = summary(calibrate(graph, shard(data[:8], rank, world), batch_size=8,
                                       progress=False))
if rank == 1:
    data[8, 0, 0, 0] = np.nan
try:
    calibrate(graph, shard(data, rank, world), batch_size=8, progress=False)
except CalibrationError as error:
    found["error"] = str(error)
with open(f"{sys.argv[2]}/rank{rank}.json", "w") as file:
    json.dump(found, file)
dist.destroy_process_group()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_torchrun_ranks_match_a_single_process(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "calibrate_rank.py").write_text(SCRIPT)
    data = np.random.default_rng(5).normal(size=(44, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "data.npy", data)
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={WORLD}",
         "--nnodes=1", "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
         str(tmp_path / "calibrate_rank.py"), str(tmp_path / "data.npy"), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]

    model = runpy.run_path(str(tmp_path / "model.py"))
    graph, summary = model["build_graph"](), model["summary"]
    found = [json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in range(WORLD)]
    for method in METHODS:
        expected = summary(calibrate(graph, data, method=method, batch_size=8, progress=False))
        assert len(expected) > 10
        assert found[0][method] == found[1][method] == expected, method
    expected = summary(calibrate(graph, data[:8], batch_size=8, progress=False))
    assert found[0]["one batch"] == found[1]["one batch"] == expected
    assert found[0]["error"].startswith("calibration failed on 1 other rank(s)")
    assert found[1]["error"].startswith("calibration batch 1: input 'input' contains NaN")
