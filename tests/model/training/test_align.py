"""Gold character spans survive tokenization: spans → token labels → spans, through the serving encoder."""

from __future__ import annotations

import pytest

from model.candidates import Candidate, Status
from model.encoder import BASE_DIR, load_tokenizer
from model.inference import encode, token_spans
from model.labels import IGNORE_INDEX, LABEL2ID
from model.training.align import candidate_targets, encode_example, spans_to_labels
from schemas import MentionKind


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer(BASE_DIR)


def _spans(text: str, *surfaces: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for s in surfaces:
        i = text.index(s, pos)
        out.append((i, i + len(s)))
        pos = i + len(s)
    return out


def roundtrip(tok, text, spans, max_length=128):
    encoded = encode(tok, text, [], max_length)
    labels, stats = spans_to_labels(text, encoded.offsets, spans)
    back = [(s, e) for s, e, _ in token_spans(encoded.offsets, labels, [1.0] * len(labels))]
    return labels, stats, back, encoded


CASES = [
    ("long $BTC here", ["$BTC"]),
    ("NEAR and $ONE pumping while BTC chops", ["NEAR", "$ONE", "BTC"]),
    ("$DOGE broke the downtrend, next $SHIB", ["$DOGE", "$SHIB"]),
    ("Shiba Inu and dogwifhat are memes", ["Shiba Inu", "dogwifhat"]),
    ("$TSLA and $COIN both red, bitcoin too", ["bitcoin"]),
    ("比特币又新高了,大饼yyds,以太坊跟不上", ["比特币", "大饼", "以太坊"]),
    ("姨太今天跌了,BTC还行", ["姨太", "BTC"]),
    ("大饼又新高了，$WIF🚀 and NEAR, #Bitcoin", ["大饼", "$WIF", "NEAR", "#Bitcoin"]),
    ("$PEPE🐸🚀 to the moon 🌕 #bitcoin", ["$PEPE", "#bitcoin"]),
    ("🚀🚀$WIF🚀🚀", ["$WIF"]),
    ("chart https://t.co/AbC123 then $SOL https://dexscreener.com/solana/xyz", ["$SOL"]),
    ("CA: 0x6982508145454Ce325dDbE47a25d4ec3d2311933 $PEPE", ["0x6982508145454Ce325dDbE47a25d4ec3d2311933", "$PEPE"]),
    ("mint 7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr is live", ["7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"]),
    ("Fartcoin currently $1.15, $1INCH too", ["Fartcoin", "$1INCH"]),
    ("Ünïcödé café $ETH naïve", ["$ETH"]),
    ("RT @elonmusk: #Dogecoin\n\n$doge", ["#Dogecoin", "$doge"]),
]


@pytest.mark.parametrize("text,surfaces", CASES)
def test_roundtrip(tok, text, surfaces):
    spans = _spans(text, *surfaces)
    _, stats, back, _ = roundtrip(tok, text, spans)
    assert stats.unaligned == 0 and stats.truncated == 0
    assert back == spans
    assert [text[s:e] for s, e in back] == surfaces


def test_offsets_lose_the_metaspace_space_and_specials_are_ignored(tok):
    text = "buy NEAR now"
    labels, _, _, encoded = roundtrip(tok, text, _spans(text, "NEAR"))
    assert encoded.offsets[0] == (0, 0) and encoded.offsets[-1] == (0, 0)  # <s>, </s>
    assert labels[0] == IGNORE_INDEX and labels[-1] == IGNORE_INDEX
    assert all(not text[s:e].startswith(" ") for s, e in encoded.offsets)
    assert LABEL2ID["B-MENTION"] in labels


def test_long_tweet_truncation_is_counted_not_mislabeled(tok):
    text = "gm " * 200 + "$BTC at the very end"
    _, stats, back, _ = roundtrip(tok, text, _spans(text, "$BTC"), max_length=64)
    assert stats.truncated == 1 and stats.aligned == 0
    assert back == []
    text2 = "$ETH first " + "gm " * 200 + "$BTC"
    _, stats2, back2, _ = roundtrip(tok, text2, _spans(text2, "$ETH", "$BTC"), max_length=64)
    assert back2 == _spans(text2, "$ETH") and stats2.truncated == 1


def test_span_inside_a_piece_is_counted_unaligned(tok):
    text = "##BNB and more"  # "##" + "BNB"? the pieces decide; a span that cuts one is not taught
    encoded = encode(tok, text, [], 64)
    cut = next((s + 1, e) for s, e in encoded.offsets if e - s > 2)  # a span starting inside a piece
    labels, stats = spans_to_labels(text, encoded.offsets, [cut])
    assert stats.unaligned == 1 and stats.examples_with_problems == 1
    assert LABEL2ID["B-MENTION"] not in labels and LABEL2ID["I-MENTION"] not in labels


def test_candidates_become_token_features_and_targets(tok):
    text = "NEAR and $TSLA, link in bio"
    near, tsla, link = _spans(text, "NEAR", "$TSLA", "link")
    candidates = [
        Candidate(*near, MentionKind.TICKER, Status.KEPT),
        Candidate(*tsla, MentionKind.CASHTAG, Status.DROPPED),
        Candidate(*link, MentionKind.NAME, Status.WEAK),
    ]
    example, stats = encode_example(tok, text, candidates, [near], 64, ignore=[link])
    assert stats.aligned == 1
    encoded = example.encoded
    for c in candidates:
        on = {f for (s, e), f in zip(encoded.offsets, encoded.features) if s < e and s < c.end and c.start < e}
        assert on == {c.feature}
    assert [f for (s, e), f in zip(encoded.offsets, encoded.features) if s == e] == [0, 0]
    assert [c for c, _, _ in encoded.candidates] == candidates
    assert example.candidate_labels == [1.0, 0.0, -1.0]  # gold, clear of optional, optional (not taught)
    link_tokens = [t for t, (s, e) in enumerate(encoded.offsets) if s < e and s >= link[0] and e <= link[1]]
    assert all(example.labels[t] == IGNORE_INDEX for t in link_tokens)


def test_a_candidate_that_only_overlaps_gold_is_a_negative():
    c = Candidate(0, 4, MentionKind.NAME, Status.KEPT)
    assert candidate_targets([(c, 1, 2)], [(0, 9)], []) == [0.0]
