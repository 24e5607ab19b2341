"""Data contracts shared by the ingestors, the workers and the people who read their output.

Every message on a topic and every JSON value in Redis is one of these models, serialized with
orjson through :mod:`schemas.codec`. Each carries ``schema_version`` so readers can tell formats apart.
"""

from schemas.codec import decode, encode, explain
from schemas.models import (
    DEAD_LETTER_PAYLOAD_MAX,
    SCHEMA_VERSION,
    DeadLetter,
    ExtractionResult,
    FeedItem,
    MentionKind,
    TokenMention,
    Tweet,
    canonical_symbol,
    contract_symbol,
    normal_address,
)

__all__ = [
    "DEAD_LETTER_PAYLOAD_MAX",
    "SCHEMA_VERSION",
    "DeadLetter",
    "ExtractionResult",
    "FeedItem",
    "MentionKind",
    "TokenMention",
    "Tweet",
    "canonical_symbol",
    "contract_symbol",
    "decode",
    "encode",
    "explain",
    "normal_address",
]
