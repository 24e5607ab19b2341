"""Enumerations: a word listed with tokens is a token ("sol, wif, jto"), one listed with stocks is a stock.

Crypto Twitter names several assets at once in lists, in any case and without sigils, so a listed word
takes the type of the neighbours it is listed with. A list is told from prose by its separators:
commas, ``+``, ``/``, ``&``, ``|``, line breaks, "and"/"or" and emoji join items; plain spaces do not
("btc, one of my bags" lists btc and "one of my bags"), except between hashtags and cashtags
("#ltc #bcn #xmr").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

# A word, cashtag or hashtag, with the rules' ticker boundaries. "and"/"or" are separators and "etc"
# closes a list: none of them is an item (ETC in capitals is Ethereum Classic).
_ITEM = re.compile(r"(?<![\w$#@.'’-])(?!(?-i:and|or|etc)\b)[$#]?[A-Za-z][A-Za-z0-9]{1,14}(?![\w'’@]|\.[A-Za-z0-9])", re.IGNORECASE)
# Separator marks: emoji and other symbols count; quotes, brackets, sigils and sentence punctuation,
# which end a list, do not.
_MARK = r"(?:[,+/&|•·\n]|\b(?:and|or)\b|[^\w\s.,:;!?()\[\]'\"“”‘’$#@%*-])"
_SEPARATOR = re.compile(rf"\s*(?:{_MARK}\s*)+", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.:;!?]\s*$")  # a gap that ends a sentence or clause before a word
_CLAUSE_START = re.compile(r"^\s*[.:;!?]")


@dataclass(frozen=True)
class Item:
    """A word and whether a list boundary (a separator, or the edge of a sentence) stands on each side."""

    start: int
    end: int
    text: str
    bounded_before: bool
    bounded_after: bool


def listed_pairs(text: str) -> list[tuple[Item, Item]]:
    """Neighbouring words that ``text`` joins with a list separator, in text order."""
    matches = list(_ITEM.finditer(text))
    # Each word's gap before and after it; the text's own edges count as the edges of a sentence.
    gaps = [text[: matches[0].start()] if matches else "", *(text[a.end() : b.start()] for a, b in pairwise(matches))]
    gaps.append(text[matches[-1].end() :] if matches else "")
    # Hashtag and cashtag blocks are lists with no more than spaces between their tags.
    joins = [False, *(
        bool(_SEPARATOR.fullmatch(gap)) or (gap.isspace() and a.group()[0] in "$#" and b.group()[0] in "$#")
        for gap, (a, b) in zip(gaps[1:-1], pairwise(matches), strict=True)
    ), False]
    items = [
        Item(
            m.start(),
            m.end(),
            m.group(),
            bounded_before=joins[k] or bool(_CLAUSE_END.search(gaps[k])) or (k == 0 and not gaps[0].strip()),
            bounded_after=joins[k + 1] or bool(_CLAUSE_START.match(gaps[k + 1])) or (k == len(matches) - 1 and not gaps[-1].strip()),
        )
        for k, m in enumerate(matches)
    ]
    return [(a, b) for k, (a, b) in enumerate(pairwise(items)) if joins[k + 1]]
