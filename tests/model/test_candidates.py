"""Candidates: the rules' proposals with their verdicts, and the per-token features the tagger reads."""

from __future__ import annotations

from itertools import pairwise

import pytest

from model.candidates import (
    KINDS,
    N_FEATURES,
    NO_CANDIDATE,
    Candidate,
    Status,
    token_features,
)
from model.rules import RuleExtractor
from schemas import MentionKind


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def test_feature_ids_are_distinct_and_in_range():
    ids = {Candidate(0, 1, kind, status).feature for kind in KINDS for status in Status}
    assert len(ids) == len(KINDS) * len(Status) == N_FEATURES - 1
    assert NO_CANDIDATE not in ids and max(ids) == N_FEATURES - 1


def test_token_features_follow_the_placed_tokens():
    c = Candidate(4, 8, MentionKind.TICKER, Status.KEPT)
    assert token_features([(c, 2, 4)], 6) == [0, 0, c.feature, c.feature, 0, 0]


def surfaces(rules: RuleExtractor, text: str) -> list[tuple[str, str]]:
    return [(text[c.start : c.end], c.status.name) for c in rules.propose(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NEAR and ONE pumping while BTC chops", [("NEAR", "KEPT"), ("ONE", "KEPT"), ("BTC", "KEPT")]),
        # Stock cashtags are proposed and turned down; lower-case everyday words are weak proposals.
        ("$TSLA and $COIN earnings, link", [("$TSLA", "DROPPED"), ("$COIN", "DROPPED"), ("link", "WEAK")]),
        ("大饼又新高了", [("大饼", "KEPT")]),
        ("I'm near", [("near", "WEAK")]),
    ],
)
def test_propose_gives_the_rules_verdicts(rules, text, expected):
    assert surfaces(rules, text) == expected


def test_proposals_keep_clear_of_urls_handles_and_each_other(rules):
    text = "@NEAR says $SOL https://t.co/BTC SOL"
    got = rules.propose(text)
    assert [text[c.start : c.end] for c in got] == ["$SOL", "SOL"]
    assert all(a.end <= b.start for a, b in pairwise(got))


def test_kept_proposals_are_the_rules_mentions(rules):
    text = "long $WIF, NEAR and bitcoin; the sol goes a long way"
    kept = [(c.start, c.end) for c in rules.propose(text) if c.status is Status.KEPT]
    assert kept == [(m.start, m.end) for m in rules.extract(text)]
