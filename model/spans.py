"""Character spans of a tweet: whether two overlap, which of overlapping ones wins, where a surface stands.

A span is ``(start, end)`` in characters, ``end`` exclusive, as :class:`schemas.TokenMention` counts them.
Every backend and every training-data step reads spans through these few functions, so that "overlap",
"glued to a neighbour" and "first-longest wins" mean one thing everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Span = tuple[int, int]
T = TypeVar("T")

# ASCII word characters glue a span to its neighbours ("OP" of OP_RETURN, "ETH" of ETHUSD); CJK does not
# ("BNB链", "梭哈$PEPE"), since Chinese runs words together without spaces.
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")


def overlaps(a: Span, b: Span) -> bool:
    """Whether spans ``a`` and ``b`` share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


def overlaps_any(span: Span, others: Iterable[Span]) -> bool:
    """Whether ``span`` shares a character with any of ``others``."""
    return any(overlaps(span, other) for other in others)


def _pair(item: object) -> Span:
    return item[0], item[1]  # type: ignore[index]


def first_longest(items: Iterable[T], bounds: Callable[[T], Span] = _pair) -> list[T]:
    """``items`` without overlaps, in text order: where spans overlap, the one starting first wins, and of
    two starting together the longer ("$SOL" over "SOL"). ``bounds`` reads an item's span (default: its
    first two fields, for ``(start, end, ...)`` tuples)."""
    kept: list[T] = []
    for item in sorted(items, key=lambda i: (bounds(i)[0], -(bounds(i)[1] - bounds(i)[0]))):
        if not kept or bounds(item)[0] >= bounds(kept[-1])[1]:
            kept.append(item)
    return kept


def glued(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a piece of a longer identifier: an ASCII word character at one of its
    edges touches another outside it. A sigil or CJK edge is never glued ("x$WIF" is "$WIF")."""
    before = start > 0 and _WORD_CHAR.match(text, start) and _WORD_CHAR.match(text, start - 1)
    after = end > start and _WORD_CHAR.match(text, end - 1) and _WORD_CHAR.match(text, end)
    return bool(before or after)


def occurrences(text: str, surface: str, *, bounded: bool = True) -> Iterator[Span]:
    """Every occurrence of ``surface`` in ``text``; ``bounded``: only those not :func:`glued` to a neighbour
    ("sol" is not in "solana")."""
    start = text.find(surface)
    while start >= 0 and surface:
        end = start + len(surface)
        if not (bounded and glued(text, start, end)):
            yield start, end
        start = text.find(surface, start + 1)
