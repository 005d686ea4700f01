"""Evaluation metrics: top-k, agreement, user metrics, and the per-tensor error."""

import math

import numpy as np
import pytest

from intq.pipeline.errors import DataError
from intq.pipeline.metrics import TensorError, agreement, score, top_k

LOGITS = np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.3], [0.2, 0.3, 0.5], [0.5, 0.4, 0.1]])
LABELS = np.array([1, 2, 2, 1])


def test_top_k():
    assert top_k([LOGITS], LABELS, 1) == 50.0
    assert top_k([LOGITS], LABELS, 2) == 100.0
    assert top_k([LOGITS], LABELS, 10) == 100.0


def test_sequence_outputs_score_every_position():
    steps = np.stack([LOGITS, LOGITS[::-1]], axis=1)
    labels = np.stack([LABELS, LABELS[::-1]], axis=1)
    assert top_k([steps], labels, 1) == 50.0
    assert agreement([steps], [steps[:, ::-1]]) == 0.0


def test_agreement_and_score(tmp_path):
    flipped = LOGITS.copy()
    flipped[0] = [1.0, 0.0, 0.0]
    results = score(["top1", "agreement"], [LOGITS], [flipped], LABELS, tmp_path)
    assert results == {"top1": {"float": 50.0, "quantized": 25.0},
                       "agreement": {"float": 100.0, "quantized": 75.0}}


def test_user_metric_beside_the_config(tmp_path):
    (tmp_path / "beside.py").write_text("def first(outputs, labels):\n"
                                        "    return float(outputs[0][0, 0]) + len(labels)\n"
                                        "def text(outputs, labels):\n    return 'high'\n")
    results = score(["beside:first"], [LOGITS], [LOGITS * 2], LABELS, tmp_path)
    assert results["beside:first"] == {"float": pytest.approx(4.1),
                                       "quantized": pytest.approx(4.2)}
    with pytest.raises(DataError, match="returned 'high'"):
        score(["beside:text"], [LOGITS], [LOGITS], LABELS, tmp_path)


def test_label_metrics_need_labels(tmp_path):
    with pytest.raises(DataError, match="'top5' needs labels"):
        score(["top5"], [LOGITS], [LOGITS], None, tmp_path)


def test_tensor_error():
    rng = np.random.default_rng(0)
    f = rng.normal(size=1000)
    noise = rng.normal(size=1000) * 0.01
    error = TensorError()
    error.update(f[:500], f[:500] + noise[:500])
    error.update(f[500:], f[500:] + noise[500:])
    want = 10 * math.log10((f ** 2).sum() / (noise ** 2).sum())
    assert error.sqnr_db == pytest.approx(want)
    assert error.cosine == pytest.approx(np.dot(f, f + noise)
                                         / np.linalg.norm(f) / np.linalg.norm(f + noise))
    exact = TensorError()
    exact.update(f, f)
    assert exact.sqnr_db == math.inf and exact.cosine == pytest.approx(1.0)
    zeros = TensorError()
    zeros.update(np.zeros(3), np.zeros(3))
    assert zeros.cosine == 1.0
