"""Candidate spans: every place a tweet may mention a token, and what the rules made of it.

The rules (:meth:`model.rules.RuleExtractor.propose`) propose candidates with high recall; the tagger
reads each token's candidate as an input feature (:func:`token_features`) and decides. A candidate's
feature is its kind and its :class:`Status`, so the model learns when the rules' verdict holds and when
it does not ("NEAR" in a trading tweet, "$COIN" among stocks, a lower-case "link" that is the coin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from schemas import MentionKind


class Status(IntEnum):
    """What the rules made of a candidate."""

    KEPT = 0  # a mention in the rules' output
    DROPPED = 1  # a candidate the rules' context, stock or resolver checks turned down
    WEAK = 2  # a word a token list knows that the rules never consider ("link", "near", shouted capitals)


# Kinds in feature order; the kind of a candidate is how it is written (:func:`model.labels.kind_of`).
KINDS: tuple[MentionKind, ...] = (
    MentionKind.CONTRACT,
    MentionKind.CASHTAG,
    MentionKind.HASHTAG,
    MentionKind.ZH_NAME,
    MentionKind.NAME,
    MentionKind.TICKER,
)
NO_CANDIDATE = 0
N_FEATURES = 1 + len(KINDS) * len(Status)


@dataclass(frozen=True)
class Candidate:
    """A span the rules propose, its kind and the rules' verdict."""

    start: int
    end: int
    kind: MentionKind
    status: Status

    @property
    def feature(self) -> int:
        """This candidate's feature id, 1 to ``N_FEATURES - 1`` (0 is :data:`NO_CANDIDATE`)."""
        return 1 + KINDS.index(self.kind) * len(Status) + int(self.status)


def token_features(placed: Sequence[tuple[Candidate, int, int]], n_tokens: int) -> list[int]:
    """Per token of ``n_tokens``, the feature of the candidate ``placed`` on it (candidate, first token, one
    past the last), else 0; where two share a token, the first in ``placed`` wins."""
    features = [NO_CANDIDATE] * n_tokens
    for c, first, last in reversed(placed):
        features[first:last] = [c.feature] * (last - first)
    return features
