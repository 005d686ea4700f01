"""What every observer guarantees: bounded state, exact min/max, data hygiene, persistence."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from safetensors.numpy import load, save

from intq.calibration import (OBSERVERS, CalibrationError, EntropyObserver, MinMaxObserver,
                              PercentileConfig, PercentileObserver, make_observer)
from intq.errors import IntqError

from .calibration_data import batch_lists, make_batches


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and isinstance(error.value, IntqError)
    return message


def state_bytes(observer) -> int:
    return sum(a.nbytes for a in observer.state_dict().values())


@pytest.mark.parametrize("method", sorted(OBSERVERS))
def test_state_size_does_not_grow_with_the_data(method):
    rng = np.random.default_rng(0)
    observer = make_observer("act", method)
    observer.observe(rng.normal(size=(8, 16, 32)).astype(np.float32))
    small = state_bytes(observer)
    for i in range(10):
        observer.observe(rng.laplace(size=(8, 16, 32)).astype(np.float32) * 2.0 ** i)
    assert state_bytes(observer) == small == 2048 * 8 + 3 * 8


def test_retained_memory_does_not_grow_with_the_data():
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(4, 64, 32, 32)).astype(np.float32)

    def retained(batches: int) -> int:
        tracemalloc.start()
        observer = EntropyObserver("act")
        for _ in range(batches):
            observer.observe(batch)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert observer.count == batches * batch.size
        return size

    assert retained(20) <= retained(2) + 1024


@settings(max_examples=40, deadline=None)
@given(batch_lists())
def test_min_max_and_sign_are_exact(batches):
    observer = MinMaxObserver("act")
    for batch in batches:
        observer.observe(batch)
    low = min(float(b.min()) for b in batches)
    high = max(float(b.max()) for b in batches)
    assert (observer.min, observer.max) == (low, high)
    assert observer.non_negative == (low >= 0)
    assert observer.count == sum(b.size for b in batches)
    assert observer.threshold() == max(-low, high)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_names_the_tensor(bad):
    observer = make_observer("conv1.out", "entropy")
    observer.observe(np.ones(4, np.float32))
    with pytest.raises(CalibrationError) as error:
        observer.observe(np.array([1.0, bad, 2.0], np.float32))
    assert "tensor 'conv1.out'" in one_line(error) and "NaN or Inf" in str(error.value)
    assert observer.count == 4


@pytest.mark.parametrize("method", sorted(OBSERVERS))
def test_never_observed_is_an_error(method):
    observer = make_observer("x", method)
    observer.observe(np.zeros((0, 3), np.float32))
    for query in (lambda o: o.threshold(), lambda o: o.min, lambda o: o.non_negative):
        with pytest.raises(CalibrationError) as error:
            query(observer)
        assert one_line(error) == "tensor 'x' was never observed: empty calibration set?"


@pytest.mark.parametrize("method", sorted(OBSERVERS))
def test_all_zero_tensor_has_zero_threshold(method):
    observer = make_observer("dead_relu", method)
    observer.observe(np.zeros((2, 5), np.float32))
    assert observer.threshold() == 0.0 and observer.non_negative


def test_integer_float16_and_bool_inputs():
    observer = MinMaxObserver("x")
    observer.observe(np.array([-3, 5], np.int64))
    observer.observe(np.array([0.5, -7.25], np.float16))
    observer.observe(np.array([True, False]))
    assert (observer.min, observer.max, observer.count) == (-7.25, 5.0, 6)
    with pytest.raises(CalibrationError) as error:
        observer.observe(np.array([1j]))
    assert "tensor 'x' has dtype complex128" in one_line(error)


def test_threshold_arguments_are_checked():
    observer = EntropyObserver("signed_act")
    observer.observe(np.array([-1.0, 2.0]))
    with pytest.raises(CalibrationError) as error:
        observer.threshold(8, unsigned=True)
    assert "tensor 'signed_act' has negative values" in one_line(error)
    with pytest.raises(CalibrationError) as error:
        observer.threshold(bits=1)
    assert "bit width 1" in one_line(error)


def test_unsigned_is_the_default_for_non_negative_tensors():
    rng = np.random.default_rng(1)
    observer = PercentileObserver("relu", PercentileConfig(100))
    observer.observe(np.maximum(rng.normal(size=10_000), 0))
    assert observer.non_negative
    assert observer.threshold() == observer.threshold(unsigned=True)


def test_merge_refuses_other_tensors_methods_and_configs():
    base = PercentileObserver("a")
    for other in (PercentileObserver("b"), EntropyObserver("a"),
                  PercentileObserver("a", PercentileConfig(99.0))):
        with pytest.raises(CalibrationError) as error:
            base.merge(other)
        assert "cannot merge" in one_line(error)


@settings(max_examples=20, deadline=None)
@given(batch_lists())
def test_state_round_trips_through_safetensors(batches):
    observer = MinMaxObserver("act")
    for batch in batches:
        observer.observe(batch)
    loaded = MinMaxObserver.from_state("act", load(save(observer.state_dict())))
    assert loaded.state_dict().keys() == observer.state_dict().keys()
    for key, value in observer.state_dict().items():
        assert np.array_equal(loaded.state_dict()[key], value)
    assert loaded.threshold() == observer.threshold()


def test_empty_state_round_trips():
    state = load(save(EntropyObserver("x").state_dict()))
    assert EntropyObserver.from_state("x", state).count == 0


def test_corrupt_state_is_rejected():
    observer = MinMaxObserver("act")
    observer.observe(make_batches("normal", 0, [100])[0])
    good = observer.state_dict()
    corruptions = [
        {k: v for k, v in good.items() if k != "min"},
        {**good, "counts": good["counts"][:10]},
        {**good, "counts": good["counts"].astype(np.float64)},
        {**good, "exponent": good["exponent"] + 1},
        {**good, "max": np.array(np.nan)},
        {**good, "min": np.array(5.0, np.float32)},
    ]
    for state in corruptions:
        with pytest.raises(CalibrationError) as error:
            MinMaxObserver.from_state("act", state)
        assert "calibration state of tensor 'act'" in one_line(error)
