"""The span helpers every backend and training step shares: overlap, first-longest, glued, occurrences."""

from __future__ import annotations

import pytest

from model.spans import first_longest, glued, occurrences, overlaps, overlaps_any


def test_overlap_needs_a_shared_character() -> None:
    assert overlaps((0, 3), (2, 5)) and overlaps((2, 5), (0, 3))
    assert overlaps((0, 5), (1, 2))  # one inside the other
    assert not overlaps((0, 3), (3, 5))  # touching is not overlapping
    assert overlaps_any((4, 6), [(0, 1), (5, 9)]) and not overlaps_any((4, 6), [(0, 4), (6, 9)])


def test_first_longest_keeps_the_earliest_then_the_longest() -> None:
    assert first_longest([(5, 9, 0.5), (0, 4, 0.9), (0, 2, 1.0), (3, 6, 1.0), (9, 10, 0.1)]) == [(0, 4, 0.9), (5, 9, 0.5), (9, 10, 0.1)]
    assert first_longest({(1, 4), (0, 4), (1, 4)}) == [(0, 4)]
    words = ["$SOL", "SOL"]  # any item, read through ``bounds``
    assert first_longest(words, lambda w: (0, len(w))) == ["$SOL"]


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("OP_RETURN", 0, 2, True),  # underscore glues
        ("ETHUSD", 0, 3, True),
        ("long ETH.", 5, 8, False),
        ("x$WIF", 1, 5, False),  # a sigil edge touches nothing
        ("BNB链", 0, 3, False),  # CJK does not glue
        ("梭哈$PEPE", 2, 7, False),
        ("比特币BTC", 0, 3, False),  # a CJK edge is never glued, whatever follows
    ],
)
def test_glued_reads_ascii_word_characters_at_the_edges(text: str, start: int, end: int, expected: bool) -> None:
    assert glued(text, start, end) is expected


@pytest.mark.parametrize(
    ("text", "surface", "expected"),
    [
        ("sol or solana? SOL", "sol", [(0, 3)]),  # not the "sol" of "solana"
        ("long $SOL, short ETHUSD and ETH", "ETH", [(28, 31)]),  # not glued to "USD"
        ("BNB链上的比特币,比特币!", "比特币", [(6, 9), (10, 13)]),  # CJK touches CJK freely
        ("BNB链", "BNB", [(0, 3)]),
        ("#BTC #btc", "#BTC", [(0, 4)]),  # case is kept: "#btc" is another surface
        ("😀$WIF🚀", "$WIF", [(1, 5)]),  # offsets count code points, as the tokenizer's do
    ],
)
def test_occurrences_are_bounded_and_exact(text: str, surface: str, expected: list[tuple[int, int]]) -> None:
    assert list(occurrences(text, surface)) == expected
    assert all(text[s:e] == surface for s, e in expected)


def test_unbounded_occurrences_include_pieces_of_words() -> None:
    assert list(occurrences("Bitcoiners love Bitcoin", "Bitcoin", bounded=False)) == [(0, 7), (16, 23)]
    assert list(occurrences("", "x")) == [] and list(occurrences("abc", "")) == []
