"""Gold char spans survive tokenization: spans → subword labels → spans, through the offset mapping."""

from __future__ import annotations

import pytest

from model.e5_convert import build_tokenizer, package_file, read_packed
from model.encoder import load_tokenizer
from model.inference import alignment_units, case_ids, labels_to_spans
from model.labels import CASE_LOWER, CASE_PAD, CASE_UPPER, IGNORE_INDEX, LABEL2ID
from model.training.align import encode_example, spans_to_labels


@pytest.fixture(scope="module")
def tok():
    # A few characters the base vocabulary lacks, the way training extends it.
    return load_tokenizer(None, ["饼", "币", "特", "坊", "姨"])


def _spans(text: str, *surfaces: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for s in surfaces:
        i = text.index(s, pos)
        out.append((i, i + len(s)))
        pos = i + len(s)
    return out


def roundtrip(tok, text, spans, max_length=128):
    enc = tok(text, truncation=True, max_length=max_length, return_offsets_mapping=True)
    offsets = [tuple(o) for o in enc["offset_mapping"]]
    labels, stats = spans_to_labels(text, offsets, enc.word_ids(), spans)
    back = [(s, e) for s, e, _ in labels_to_spans(offsets, enc.word_ids(), labels)]
    return labels, stats, back, enc


CASES = [
    ("long $BTC here", ["$BTC"]),
    ("NEAR and $ONE pumping while BTC chops", ["NEAR", "$ONE", "BTC"]),
    ("$DOGE broke the downtrend, next $SHIB", ["$DOGE", "$SHIB"]),
    ("Shiba Inu and dogwifhat are memes", ["Shiba Inu", "dogwifhat"]),
    ("$TSLA and $COIN both red, bitcoin too", ["bitcoin"]),
    ("比特币又新高了,大饼yyds,以太坊跟不上", ["比特币", "大饼", "以太坊"]),
    ("姨太今天跌了,BTC还行", ["姨太", "BTC"]),
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
    labels, stats, back, _ = roundtrip(tok, text, spans)
    assert stats.unaligned == 0 and stats.truncated == 0
    assert back == spans
    assert [text[s:e] for s, e in back] == surfaces


def test_special_and_continuation_tokens_are_ignored(tok):
    text = "Fartcoin pumping"
    labels, _, _, enc = roundtrip(tok, text, _spans(text, "Fartcoin"))
    toks = tok.convert_ids_to_tokens(enc["input_ids"])
    assert toks[0] == "[CLS]" and toks[-1] == "[SEP]"
    assert labels[0] == IGNORE_INDEX and labels[-1] == IGNORE_INDEX
    word_ids = enc.word_ids()
    for t in range(1, len(toks) - 1):
        first_of_word = word_ids[t] != word_ids[t - 1]
        assert (labels[t] != IGNORE_INDEX) == first_of_word, toks[t]
    assert labels[1] == LABEL2ID["B-MENTION"]


def test_long_tweet_truncation_is_counted_not_mislabeled(tok):
    text = "gm " * 200 + "$BTC at the very end"
    spans = _spans(text, "$BTC")
    labels, stats, back, _ = roundtrip(tok, text, spans, max_length=64)
    assert stats.truncated == 1 and stats.aligned == 0
    assert back == []
    # A span inside the window still round-trips in a truncated encoding.
    text2 = "$ETH first " + "gm " * 200 + "$BTC"
    _, stats2, back2, _ = roundtrip(tok, text2, _spans(text2, "$ETH", "$BTC"), max_length=64)
    assert back2 == _spans(text2, "$ETH") and stats2.truncated == 1


def test_span_inside_a_word_is_counted_unaligned(tok):
    text = "BTCUSDT perp is wild"
    labels, stats, back, _ = roundtrip(tok, text, [(0, 3)])
    assert stats.unaligned == 1
    assert back == []  # nothing half-labelled
    assert IGNORE_INDEX in labels[1:2]


def test_encode_example_and_casing(tok):
    text = "NEAR near"
    feats, stats = encode_example(tok, text, _spans(text, "NEAR"))
    assert stats.aligned == 1
    assert feats["case_ids"][0] == CASE_PAD and feats["case_ids"][-1] == CASE_PAD
    assert feats["case_ids"][1] == CASE_UPPER and feats["case_ids"][2] == CASE_LOWER
    assert len(feats["input_ids"]) == len(feats["labels"]) == len(feats["case_ids"])
    enc = tok(text, return_offsets_mapping=True)
    assert case_ids(text, enc["offset_mapping"], enc.word_ids()) == feats["case_ids"]


def test_sentencepiece_spans_align_token_by_token() -> None:
    """multilingual-e5's words run across symbols and Chinese and its pieces carry the space before them;
    aligned token by token on trimmed offsets, every span lands, and labels read back to the same spans."""
    tokenizer = build_tokenizer(read_packed(package_file()))
    text = "大饼又新高了，$WIF🚀 and NEAR, #Bitcoin"
    spans = [(text.index(s), text.index(s) + len(s)) for s in ("大饼", "$WIF", "NEAR", "#Bitcoin")]
    feat, stats = encode_example(tokenizer, text, spans, 96)
    assert (stats.aligned, stats.unaligned) == (4, 0)
    enc = tokenizer(text, return_offsets_mapping=True)
    offsets, units = alignment_units(tokenizer, text, enc["offset_mapping"], enc.word_ids())
    assert all(not text[s:e].startswith(" ") for s, e in offsets)
    assert [(s, e) for s, e, _ in labels_to_spans(offsets, units, feat["labels"])] == spans
