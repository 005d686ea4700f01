"""Shared by the calibration tests: batches of synthetic activations and a sanity check."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

KINDS = ("normal", "laplace", "student_t", "outliers", "non_negative", "growing", "tiny")


def make_batches(kind: str, seed: int, sizes: list[int], dtype: type = np.float32
                 ) -> list[np.ndarray]:
    """Batches of one synthetic activation distribution; ``growing`` widens with every batch."""
    rng = np.random.default_rng(seed)
    batches = []
    for i, size in enumerate(sizes):
        if kind == "normal":
            x = rng.normal(rng.uniform(-1, 1), rng.uniform(0.1, 3), size)
        elif kind == "laplace":
            x = rng.laplace(0, 1, size)
        elif kind == "student_t":
            x = rng.standard_t(2, size)
        elif kind == "outliers":
            x = rng.normal(0, 1, size)
            x[rng.random(size) < 0.01] *= 40
        elif kind == "non_negative":
            x = np.maximum(rng.normal(0, 1, size), 0)
        elif kind == "growing":
            x = rng.normal(0, 1, size) * 8.0 ** i
        else:
            x = rng.normal(0, 1, size) * 1e-30
        batches.append(x.astype(dtype))
    return batches


@st.composite
def batch_lists(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS, max_batches: int = 6
                ) -> list[np.ndarray]:
    kind = draw(st.sampled_from(kinds))
    seed = draw(st.integers(0, 2**32 - 1))
    sizes = draw(st.lists(st.integers(1, 400), min_size=1, max_size=max_batches))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return make_batches(kind, seed, sizes, dtype)


def assert_sane_threshold(threshold: float, max_abs: float) -> None:
    """``0 < T <= max|x|``; an all-zero tensor is the one case with ``T == 0``."""
    assert (0 < threshold <= max_abs) if max_abs > 0 else threshold == 0
