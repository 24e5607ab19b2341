"""The forward pass's encoding and decoding: offsets, BIO → spans, padded batches and how they are cut."""

from __future__ import annotations

import pytest

from model.candidates import Candidate, Status
from model.encoder import BASE_DIR, load_tokenizer
from model.inference import PAD_ID, batches, encode, pad_batch, token_spans
from model.labels import LABEL2ID
from schemas import MentionKind

O, B, I = LABEL2ID["O"], LABEL2ID["B-MENTION"], LABEL2ID["I-MENTION"]


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer(BASE_DIR)


def test_token_spans_decode_bio_leniently():
    offsets = [(0, 0), (0, 3), (4, 7), (8, 11), (12, 15), (16, 19), (0, 0)]
    labels = [O, B, I, O, I, B, I]
    probs = [1.0, 0.8, 0.6, 1.0, 0.9, 0.5, 1.0]
    # An I after O starts a span; B closes the one before; a special token ends one.
    assert token_spans(offsets, labels, probs) == [(0, 7, 0.7), (12, 15, 0.9), (16, 19, 0.5)]


def test_encode_places_candidates_on_their_tokens(tok):
    text = "so $WIF and NEAR"
    wif, near = Candidate(3, 7, MentionKind.CASHTAG, Status.KEPT), Candidate(12, 16, MentionKind.TICKER, Status.WEAK)
    encoded = encode(tok, text, [wif, near], 64)
    for c, first, last in encoded.candidates:
        assert encoded.offsets[first][0] == c.start and encoded.offsets[last - 1][1] == c.end
    assert len(encoded.input_ids) == len(encoded.offsets) == len(encoded.features)


def test_a_candidate_beyond_truncation_is_not_placed(tok):
    text = "gm " * 100 + "$BTC"
    c = Candidate(text.index("$BTC"), len(text), MentionKind.CASHTAG, Status.KEPT)
    assert encode(tok, text, [c], 16).candidates == []


def test_pad_batch_pads_and_indexes_candidates(tok):
    a = encode(tok, "$BTC", [Candidate(0, 4, MentionKind.CASHTAG, Status.KEPT)], 64)
    b = encode(tok, "a much longer tweet about NEAR", [Candidate(26, 30, MentionKind.TICKER, Status.KEPT)], 64)
    batch = pad_batch([a, b])
    n = len(b.input_ids)
    assert batch["input_ids"].shape == batch["attention_mask"].shape == batch["features"].shape == (2, n)
    assert batch["input_ids"][0, len(a.input_ids):].eq(PAD_ID).all()
    assert batch["attention_mask"][0].sum() == len(a.input_ids)
    assert batch["spans"].tolist() == [[0, *a.candidates[0][1:]], [1, *b.candidates[0][1:]]]


@pytest.mark.parametrize(("size", "budget"), [(4, 10_000), (64, 40), (1, 1)])
def test_batches_cover_every_item_once_within_count_and_budget(size, budget):
    lengths = sorted([3, 5, 5, 8, 9, 9, 9, 12, 30, 31, 60])
    runs = batches(lengths, size, budget)
    assert [k for run in runs for k in run] == list(range(len(lengths)))
    for run in runs:
        assert len(run) <= size
        # A batch holds at most the budget once padded, unless one item alone is over it.
        assert len(run) == 1 or len(run) * lengths[run[-1]] <= budget
    assert batches([], size, budget) == []


def test_short_items_share_a_batch_and_long_ones_split():
    assert [list(r) for r in batches([4, 4, 4, 4, 50, 50], 256, 100)] == [[0, 1, 2, 3], [4, 5]]
    assert [list(r) for r in batches([4, 4, 4, 4, 60, 60], 256, 100)] == [[0, 1, 2, 3], [4], [5]]
