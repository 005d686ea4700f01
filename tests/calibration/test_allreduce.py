"""Two gloo processes on CPU each observe half the data; all-reduced state must equal one
process observing everything, bit for bit."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest

from intq.calibration import CalibrationError, allreduce_observers, make_observer
from intq.calibration.observer import Observer

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
mp = pytest.importorskip("torch.multiprocessing")

METHODS = ("minmax", "percentile", "entropy", "mse")
WORLD = 2


def _batches(rank: int) -> dict[str, list[np.ndarray]]:
    """Rank 0 sees narrow data, rank 1 data up to 1000x wider; 'quiet' is empty on rank 0."""
    rng = np.random.default_rng(7 + rank)
    scale = 1000.0 ** rank
    return {
        "act": [rng.laplace(0, scale, 3000).astype(np.float32) for _ in range(3)],
        "relu": [np.maximum(rng.normal(0, scale, 2000), 0).astype(np.float32)],
        "quiet": [] if rank == 0 else [rng.normal(0, 1, 500)],
    }


def _observers(batches: dict[str, list[np.ndarray]]) -> list[Observer]:
    observers = []
    for name, arrays in batches.items():
        for method in METHODS:
            observer = make_observer(name, method)
            for array in arrays:
                observer.observe(array)
            observers.append(observer)
    return observers


def _worker(rank: int, port: int, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD)
    try:
        observers = _observers(_batches(rank))
        allreduce_observers(observers)
        np.savez(f"{out_dir}/rank{rank}.npz", **{
            f"{i}.{key}": value for i, o in enumerate(observers)
            for key, value in o.state_dict().items()})
        try:
            allreduce_observers(observers[::-1] if rank else observers)
        except CalibrationError as error:
            (Path(out_dir) / f"mismatch{rank}.txt").write_text(str(error))
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_gloo_ranks_match_a_single_process(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    everything = {name: _batches(0)[name] + _batches(1)[name] for name in _batches(0)}
    single = _observers(everything)
    expected_thresholds = [(o.threshold(4), o.threshold(8)) for o in single]
    for rank in range(WORLD):
        saved = np.load(tmp_path / f"rank{rank}.npz")
        for i, expected in enumerate(single):
            state = {key: saved[f"{i}.{key}"] for key in expected.state_dict()}
            for key, value in expected.state_dict().items():
                assert np.array_equal(state[key], value), (expected, key)
            reduced = type(expected).from_state(expected.name, state)
            assert (reduced.threshold(4), reduced.threshold(8)) == expected_thresholds[i]
            assert (reduced.min, reduced.max) == (expected.min, expected.max)
        mismatch = (tmp_path / f"mismatch{rank}.txt").read_text()
        assert "same tensors and methods in the same order" in mismatch


def test_needs_an_initialized_process_group():
    if dist.is_initialized():
        pytest.skip("a process group is already running")
    with pytest.raises(CalibrationError, match="init_process_group"):
        allreduce_observers([make_observer("x", "minmax")])
