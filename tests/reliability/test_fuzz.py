"""Hypothesis fuzz of the ``.intq`` loader and ``intq run`` on mutated files: a mutant loads
and runs, or is refused with intq's own error class; nothing else (``benchmarks.fuzz`` runs
the same with 10 000 examples)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.fuzz import MUTATIONS, check, good_model, mutate


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return good_model(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3),
       position=st.integers(0, 2**31), value=st.integers(0, 2**64))
def test_mutated_models_load_or_are_refused(model, tmp_path_factory, kinds, position, value):
    data, x = model
    for kind in kinds:
        data = mutate(data, kind, position, value)
    assert check(data, x.parent, x) in ("refused", "loaded, run refused", "ran")
