"""Tag set of the token-classification model, and how a span's kind is read off its text.

The model tags mention spans with plain BIO (one span type). The :class:`MentionKind` of a span is
decided deterministically from how it is written (``$`` → cashtag, ``#`` → hashtag, ``0x…`` →
contract, CJK → Chinese name, upper case → ticker, else a name), which is exact for every kind,
so the network does not have to learn it.
"""

from __future__ import annotations

import re

from schemas import MentionKind

O, B, I = "O", "B-MENTION", "I-MENTION"  # noqa: E741 - I is the BIO name
LABELS: list[str] = [O, B, I]
LABEL2ID: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
IGNORE_INDEX = -100  # what torch's cross-entropy skips

# Contract addresses, the one definition the rules find them by and :func:`kind_of` reads spans by: EVM
# is 0x + 40 hex; a Solana mint is 32-44 base58 characters, and requiring a digit, an upper- and a
# lower-case letter keeps long words and hashtags out. Neither may touch a letter or digit.
EVM_ADDRESS = re.compile(r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])")
SOLANA_MINT = re.compile(r"(?<![0-9A-Za-z])(?=[^\s]*\d)(?=[^\s]*[a-z])(?=[^\s]*[A-Z])[1-9A-HJ-NP-Za-km-z]{32,44}(?![0-9A-Za-z])")
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

def kind_of(span: str) -> MentionKind:
    """How a span is written, which is what the resolver needs to know."""
    if span.startswith("$"):
        return MentionKind.CASHTAG
    if span.startswith("#"):
        return MentionKind.HASHTAG
    if EVM_ADDRESS.fullmatch(span) or SOLANA_MINT.fullmatch(span):
        return MentionKind.CONTRACT
    if CJK_RE.search(span):
        return MentionKind.ZH_NAME
    letters = [c for c in span if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and " " not in span.strip():
        return MentionKind.TICKER
    return MentionKind.NAME
