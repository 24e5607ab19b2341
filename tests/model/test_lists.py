"""Which words a tweet lists together, and where a list ends."""

from __future__ import annotations

import pytest

from model.lists import listed_pairs


def pairs(text: str) -> list[tuple[str, str]]:
    return [(a.text, b.text) for a, b in listed_pairs(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sol, wif, jto", [("sol", "wif"), ("wif", "jto")]),
        ("popcat + mew", [("popcat", "mew")]),
        ("avax 🏔️ near 👀 and link", [("avax", "near"), ("near", "link")]),  # emoji and "and" separate
        ("$WIF\n$MOG", [("$WIF", "$MOG")]),
        ("#ltc #bcn #btc", [("#ltc", "#bcn"), ("#bcn", "#btc")]),  # tag blocks need no more than spaces
        ("btc eth sol", []),  # plain spaces between words are prose
        ("btc and the market", [("btc", "the")]),
        ("$WIF, etc", []),  # "etc" closes a list; it is no item
        ("ETC, BTC", [("ETC", "BTC")]),  # in capitals it is Ethereum Classic
        ("stocks: $COIN. crypto: $BTC", []),  # sentence punctuation ends a list
        ("", []),
    ],
)
def test_listed_pairs(text: str, expected: list[tuple[str, str]]) -> None:
    assert pairs(text) == expected


def test_a_word_is_bounded_only_by_separators_or_sentence_edges() -> None:
    ((btc, one),) = listed_pairs("btc, one of my bags")
    assert btc.bounded_before and btc.bounded_after
    assert one.bounded_before and not one.bounded_after  # "one of my bags" goes on as prose
    ((a, b),) = listed_pairs("Watching. near, link!")
    assert a.bounded_before and b.bounded_after
