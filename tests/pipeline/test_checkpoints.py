"""Checkpoints: records, observer states, and fingerprints that refuse stale resumes."""

import numpy as np
import pytest

from intq.calibration.registry import make_config, make_observer
from intq.pipeline.checkpoints import Checkpoints, fingerprints
from intq.pipeline.errors import CheckpointError

STAGES = ["a", "b", "c"]


def test_fingerprints_are_cumulative(tmp_path):
    base = fingerprints(STAGES, {"a": 1, "b": {"x": [1, 2]}, "c": None})
    changed = fingerprints(STAGES, {"a": 1, "b": {"x": [1, 3]}, "c": None})
    assert base["a"] == changed["a"]
    assert base["b"] != changed["b"] and base["c"] != changed["c"]
    assert fingerprints(STAGES, {"a": 1, "b": {"x": [1, 2]}}) == base


def test_fingerprints_see_file_changes(tmp_path):
    path = tmp_path / "data.npy"
    path.write_bytes(b"12")
    before = fingerprints(STAGES, {"a": path})
    path.write_bytes(b"123")
    assert fingerprints(STAGES, {"a": path})["a"] != before["a"]
    path.unlink()
    assert fingerprints(STAGES, {"a": path})["a"] != before["a"]


def test_records_and_discard(tmp_path):
    checkpoints = Checkpoints(tmp_path)
    assert checkpoints.record("a") is None
    checkpoints.write_record("a", {"fingerprint": "f", "seconds": 1.5})
    assert checkpoints.record("a") == {"fingerprint": "f", "seconds": 1.5}
    checkpoints.discard(["a", "b"])
    assert checkpoints.record("a") is None
    (tmp_path / "checkpoints" / "b.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="--start b"):
        checkpoints.record("b")


def test_observer_states_round_trip_under_any_method(tmp_path):
    rng = np.random.default_rng(0)
    observers = {name: make_observer(name, "entropy") for name in ("x", "/conv/Relu_out")}
    for observer in observers.values():
        observer.observe(rng.normal(size=1000))
    checkpoints = Checkpoints(tmp_path)
    checkpoints.save_observers(observers)
    loaded = checkpoints.load_observers(make_config("percentile", {"percentile": 99.0}))
    assert list(loaded) == list(observers)
    for name, observer in observers.items():
        assert loaded[name].method == "percentile"
        for key, value in observer.state_dict().items():
            assert np.array_equal(loaded[name].state_dict()[key], value)


def test_missing_observers(tmp_path):
    with pytest.raises(CheckpointError, match="--start calibrate"):
        Checkpoints(tmp_path).load_observers(make_config("minmax"))
