"""The cleaning rules of the silver data, one by one, and the split."""

from __future__ import annotations

from model.training.corpus import dedupe_key
from model.training.dataset import (
    keep_length,
    lse_stock_rule,
    negative_rule,
    uncertain_regions,
    valid_spans,
)
from model.training.records import Record, split
from schemas import MentionKind, TokenMention


def m(text, surface, symbol=None, kind=MentionKind.CASHTAG, start=None):
    s = text.index(surface) if start is None else start
    return TokenMention(symbol=symbol or surface.lstrip("$#").upper(), text=surface, start=s, end=s + len(surface), kind=kind)


def test_valid_spans_drops_misplaced_and_overlapping():
    text = "long $BTC and $ETH"
    good = m(text, "$BTC")
    wrong = TokenMention(symbol="ETH", text="$ETH", start=3, end=7, kind=MentionKind.CASHTAG)  # points elsewhere
    inner = TokenMention(symbol="BTC", text="BTC", start=6, end=9, kind=MentionKind.TICKER)  # inside $BTC
    assert valid_spans(text, [inner, wrong, good]) == [good]


def test_dedupe_key_folds_retweets_urls_handles_and_case():
    a = "RT @someone: Bitcoin to 100k!!! https://t.co/abc"
    b = "bitcoin to 100k https://t.co/xyz @other"
    assert dedupe_key(a) == dedupe_key(b)
    assert dedupe_key("ETH up") != dedupe_key("BTC up")


def test_lse_rule_keeps_only_major_cashtags_in_london_stock_tweets():
    text = "$BOO results today, $BTC flat"
    ms = [m(text, "$BOO"), m(text, "$BTC")]
    assert [x.symbol for x in lse_stock_rule(ms, 1, {"BTC"})] == ["BTC"]
    assert lse_stock_rule(ms, 0, {"BTC"}) == ms


def test_negative_rule_keeps_firm_major_mentions_only():
    text = "ONE more day, bitcoin is wild, $XYZ"
    ms = [m(text, "ONE", kind=MentionKind.TICKER), m(text, "bitcoin", "BTC", MentionKind.NAME), m(text, "$XYZ")]
    assert [x.symbol for x in negative_rule(ms, {"BTC", "ONE"})] == ["BTC"]


def test_uncertain_regions_marks_untagged_known_caps():
    text = "$BTC up, SEI and HUGE too"
    ms = [m(text, "$BTC")]
    known = {"BTC", "SEI"}.__contains__
    regions = uncertain_regions(text, ms, known)
    assert [text[s:e] for s, e in regions] == ["SEI"]
    assert uncertain_regions("SEI is cool", [], known) == []  # nothing found, nothing uncertain


def test_length_rule():
    assert not keep_length("  a ")
    assert keep_length("gm frens")
    assert not keep_length("x" * 1001)


def test_split_is_seeded_and_stable():
    recs = [Record(f"tweet {i}", [], "s") for i in range(2000)]
    tr, he = split(recs, 0.1, seed=3)
    tr2, he2 = split(list(reversed(recs)), 0.1, seed=3)
    assert {r.text for r in he} == {r.text for r in he2}
    assert 120 < len(he) < 280 and len(tr) + len(he) == 2000
