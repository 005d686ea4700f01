"""The corpus's inputs and metrics (``intq.zoo.corpus``): inputs are what the packages' own
code builds, the same for the same seed; metrics score identical outputs 1 and known
disagreements exactly."""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("torch")
from intq.zoo.corpus import inputs, metrics  # noqa: E402


@pytest.mark.parametrize("content", [b"", b"  \n\t", b"\n  hello world \n\n",
                                     bytes(range(256)) * 40, b" x" * 3000])
def test_magika_features_are_magikas_own(content):
    magika = pytest.importorskip("magika.magika")
    from magika.types.seekable import Seekable

    want = magika.Magika._extract_features_from_seekable(
        Seekable(io.BytesIO(content)), beg_size=1024, mid_size=0, end_size=1024,
        padding_token=256, block_size=4096, use_inputs_at_offsets=False)
    got = inputs.magika_features(content)
    assert got.dtype == np.int32
    assert got.tolist() == want.beg + want.end


def test_vad_frames_are_silero_sequence_blocks():
    sequence_vad = pytest.importorskip("silero_vad.sequence_vad")
    audio = np.random.default_rng(0).normal(size=512 * 7).astype(np.float32)
    (want,) = sequence_vad.frame_blocks(audio, 512, 64, max_frames=100)
    np.testing.assert_array_equal(inputs.vad_frames(audio), want)


@pytest.mark.parametrize("make", [
    lambda seed: inputs.photo_crops(3, seed, (40, 56)),
    lambda seed: inputs.text_lines(2, seed, 48),
    lambda seed: inputs.speech(0.2, seed),
    lambda seed: inputs.sentences(4, seed),
])
def test_inputs_depend_only_on_the_seed(make):
    pytest.importorskip("skimage")
    pytest.importorskip("captcha")
    first, again, other = make(5), make(5), make(6)
    assert repr(first) == repr(again) and repr(first) != repr(other)


def test_photo_crops_have_the_asked_shape():
    pytest.importorskip("skimage")
    crops = inputs.photo_crops(4, 0, (48, 320))
    assert crops.shape == (4, 48, 320, 3) and crops.dtype == np.uint8


def test_metrics_score_agreement_per_sample():
    logits = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    flipped = logits[:, ::-1]
    assert metrics.top1_agreement(logits, logits).tolist() == [1.0, 1.0, 1.0]
    assert metrics.top1_agreement(logits, flipped).tolist() == [0.0, 0.0, 0.0]
    steps = np.stack([logits, flipped], axis=1)          # [N=3, T=2, C=2]
    assert metrics.timestep_agreement(0)(steps, np.stack([logits, logits], 1)).tolist() == \
        [0.5, 0.5, 0.5]
    assert metrics.timestep_agreement(1)(steps.swapaxes(0, 1), steps.swapaxes(0, 1)).tolist() \
        == [1.0, 1.0, 1.0]
    np.testing.assert_allclose(metrics.cosine(logits, 2 * logits), 1.0)
    np.testing.assert_allclose(metrics.probability_agreement(np.array([0.2, 0.9]),
                                                             np.array([0.5, 0.9])), [0.7, 1.0])


def test_text_map_iou_counts_the_masks():
    reference = np.zeros((2, 1, 2, 2))
    candidate = np.zeros((2, 1, 2, 2))
    reference[0, 0, 0] = 0.9                               # two pixels of text
    candidate[0, 0, 0, 0] = 0.5                            # one of them found
    assert metrics.text_map_iou(0.3)(reference, candidate).tolist() == [0.5, 1.0]
