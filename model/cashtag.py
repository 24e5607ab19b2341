"""The baseline: every cashtag in the twitter-text grammar, unfiltered.

It is what a search for ``$`` gives: no stocks, fiat or amounts are removed, and nothing without a
``$`` is found. The other backends are measured against it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from schemas import MentionKind, TokenMention

# twitter-text's validCashtag: after the start or a space, "$" (or the full-width "＄"), 1-6 letters with
# an optional "._" suffix of 1-2 letters, then the end, a space or punctuation.
CASHTAG = re.compile(r"(?:^|(?<=\s))[$＄]([a-z]{1,6}(?:[._][a-z]{1,2})?)(?=$|\s|[!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$])", re.I)


class CashtagExtractor:
    """The cashtag-regex backend of the :class:`model.extractor.Extractor` protocol."""

    name = "cashtag-regex"

    def extract_batch(self, texts: Sequence[str]) -> list[list[TokenMention]]:
        """Every cashtag of each text, as its upper-cased letters."""
        return [
            [
                TokenMention(symbol=m.group(1).upper(), text=m.group(), start=m.start(), end=m.end(), kind=MentionKind.CASHTAG)
                for m in CASHTAG.finditer(text)
            ]
            for text in texts
        ]
