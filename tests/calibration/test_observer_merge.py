"""Splitting the calibration data any way across observers and merging gives bit-identical
state, hence bit-identical thresholds, to one observer seeing everything."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from intq.calibration import OBSERVERS, make_observer
from intq.calibration.observer import Observer

from .calibration_data import batch_lists


def observe_all(method: str, batches: list[np.ndarray]) -> Observer:
    observer = make_observer("act", method)
    for batch in batches:
        observer.observe(batch)
    return observer


def assert_same_state(a: Observer, b: Observer) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    for key in sa:
        assert sa[key].dtype == sb[key].dtype and np.array_equal(sa[key], sb[key]), key


@st.composite
def splits(draw: st.DrawFn) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Data, and the same values re-cut into parts of sub-batches, in shuffled order."""
    batches = draw(batch_lists())
    flat = np.concatenate(batches)
    cuts = sorted(draw(st.lists(st.integers(0, flat.size), max_size=8)))
    pieces = [p for p in np.split(flat, cuts) if p.size]
    order = draw(st.permutations(range(len(pieces))))
    n_parts = draw(st.integers(1, max(1, len(pieces))))
    parts: list[list[np.ndarray]] = [[] for _ in range(n_parts)]
    for rank, index in enumerate(order):
        parts[rank % n_parts].append(pieces[index])
    return batches, parts


@settings(max_examples=60, deadline=None)
@given(splits(), st.randoms(use_true_random=False))
def test_any_split_and_merge_order_gives_the_same_state(split, random):
    batches, parts = split
    whole = observe_all("minmax", batches)
    observers = [observe_all("minmax", part) for part in parts]
    while len(observers) > 1:
        i, j = random.sample(range(len(observers)), 2)
        merged = observers[i].merge(observers[j])
        observers = [o for k, o in enumerate(observers) if k not in (i, j)] + [merged]
    assert_same_state(observers[0], whole)
    assert observers[0].threshold() == whole.threshold()


@settings(max_examples=30, deadline=None)
@given(batch_lists(), batch_lists(), batch_lists())
def test_merge_is_associative_and_commutative(a, b, c):
    def obs(*parts):
        return observe_all("minmax", [x for part in parts for x in part])

    left = obs(a).merge(obs(b)).merge(obs(c))
    right = obs(a).merge(obs(b).merge(obs(c)))
    swapped = obs(c).merge(obs(a)).merge(obs(b))
    assert_same_state(left, right)
    assert_same_state(left, swapped)
    assert_same_state(left, obs(a, b, c))


@settings(max_examples=5, deadline=None)
@given(splits())
def test_every_method_gives_identical_thresholds_after_merging(split):
    batches, parts = split
    for method in OBSERVERS:
        whole = observe_all(method, batches)
        merged = observe_all(method, parts[0])
        for part in parts[1:]:
            merged.merge(observe_all(method, part))
        for bits in (4, 8):
            assert merged.threshold(bits) == whole.threshold(bits), method


@settings(max_examples=20, deadline=None)
@given(batch_lists(kinds=("growing",)))
def test_later_batches_with_a_much_larger_range(batches):
    forward = observe_all("minmax", batches)
    backward = observe_all("minmax", batches[::-1])
    assert_same_state(forward, backward)
    assert forward.max_abs == max(float(np.abs(b).max()) for b in batches)
