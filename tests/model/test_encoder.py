"""The tagger's pieces: what trains, how candidates pool, and that folding LoRA in changes no output."""

from __future__ import annotations

import pytest
import torch

from model.encoder import BASE_DIR, build_tagger, merge_lora
from model.errors import ModelError


@pytest.fixture(scope="module")
def tagger():
    torch.manual_seed(0)
    return build_tagger(BASE_DIR, split=10, r=4, alpha=8, dropout=0.0).eval()


def test_only_the_upper_layers_and_the_additions_train(tagger):
    trained = set(tagger.trained_state())
    assert trained and all(
        "lora_" in n or n.startswith(("candidate_embeddings", "token_head", "candidate_head")) or ".LayerNorm." in n for n in trained
    )
    assert not any(f"encoder.layer.{i}." in n for n in trained for i in range(10))
    assert any("encoder.layer.11.attention.self.query.lora_A" in n for n in trained)
    assert sum(t.numel() for t in tagger.trained_state().values()) < 1_000_000  # small enough to ship


def test_candidate_pooling_is_the_mean_of_its_tokens(tagger):
    hidden = torch.randn(2, 5, tagger.bert.config.hidden_size)
    spans = torch.tensor([[0, 1, 3], [1, 4, 5]])
    expected = torch.stack([hidden[0, 1:3].mean(0), hidden[1, 4:5].mean(0)])
    assert torch.allclose(tagger.candidate_logits(hidden, spans), tagger.candidate_head(expected).squeeze(1), atol=1e-5)


def test_merging_lora_changes_no_output():
    torch.manual_seed(0)
    tagger = build_tagger(BASE_DIR, split=10, r=4, alpha=8, dropout=0.0).eval()
    with torch.no_grad():
        for name, p in tagger.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.05)  # trained LoRA is not zero
    ids = torch.tensor([[0, 5000, 6000, 7000, 2]])
    mask, feats = torch.ones_like(ids), torch.tensor([[0, 3, 3, 0, 0]])
    with torch.no_grad():
        before = tagger(ids, mask, feats)
        merge_lora(tagger)
        after = tagger(ids, mask, feats)
    assert not any("lora_" in n for n, _ in tagger.named_parameters())
    assert torch.allclose(before, after, atol=1e-4)


def test_split_must_be_a_layer():
    with pytest.raises(ModelError, match="split 12"):
        build_tagger(BASE_DIR, split=12, r=4, alpha=8, dropout=0.0)
